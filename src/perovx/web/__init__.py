"""perovx.web"""
