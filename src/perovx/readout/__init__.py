"""perovx.readout"""
