"""capsa.capi"""
