"""perovx.sweep"""
