"""capsa.scan: manifests and/or a live cluster → topology → checks → suppressions, as
one call (`scan`) returning one value (`ScanResult`)."""
