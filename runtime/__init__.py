"""tdopt.runtime: the target cluster and what runs with the generated code.

RTL and C++ testbench of the cluster (rtl/, tb/), start-up code and linker
script (crt0.S, link.ld), program headers (include/), and the host side:
cluster.build_model (model.py builds, cluster.py trains the profile-guided build), toolchain.assemble_and_link, cluster.run_elf, cli.main.
See docs/cluster.md.
"""
