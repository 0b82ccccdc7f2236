"""capsa.assess"""
