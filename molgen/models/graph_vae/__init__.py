"""Graph VAE: a GINE encoder and a valence-masked autoregressive graph decoder (BFS order)."""
