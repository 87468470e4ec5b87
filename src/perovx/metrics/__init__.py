"""perovx.metrics"""
