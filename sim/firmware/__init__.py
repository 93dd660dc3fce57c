"""Firmware on the host side: reading ELF images (elf) and building C for a board (build).

The C sources themselves live in the repository's ``firmware/`` folder (package data when
installed); this package only generates the per-board files and calls the compiler.
"""
