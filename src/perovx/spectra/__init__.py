"""perovx.spectra"""
