"""tocsin.predict"""
