"""Discrete graph diffusion (DiGress family): marginal transitions, a dense graph transformer denoiser."""
