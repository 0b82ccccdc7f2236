"""capsa.checks"""
