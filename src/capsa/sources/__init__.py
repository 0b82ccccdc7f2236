"""Where evidence comes from: manifest files, stdin, a live cluster, a git repository."""
