"""perovx.report"""
