"""tocsin.engine"""
