"""The system model: typed, validated, loadable from YAML or the built-in catalogue."""
