"""capsa.threats"""
