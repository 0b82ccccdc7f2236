"""capsa.report"""
