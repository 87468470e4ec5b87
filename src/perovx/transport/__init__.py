"""perovx.transport"""
