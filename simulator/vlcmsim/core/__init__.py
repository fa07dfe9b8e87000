"""Layer 1: the rules every vCenter object shares (errors, time, sessions, tasks, faults, hosts and
maintenance mode). Imports only `vlcmsim.model`."""
