"""perovx.interaction"""
