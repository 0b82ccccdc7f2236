"""capsa: the Cluster API Security Self-Assessment, executable."""

__version__ = "0.1.0"
