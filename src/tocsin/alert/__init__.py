"""tocsin.alert"""
