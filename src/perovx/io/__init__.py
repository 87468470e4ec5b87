"""perovx.io"""
