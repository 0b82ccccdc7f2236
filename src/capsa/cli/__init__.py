"""capsa.cli"""
