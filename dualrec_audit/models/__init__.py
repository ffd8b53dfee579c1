"""The model registry: which models exist (``models/manifest.toml``), where their files are, that
they are intact (sha256), and the verified downloads that install them when the user asks.

Nothing else in the tool touches the network.
"""
