"""capsa.graph"""
