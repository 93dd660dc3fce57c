"""What a run is reported as beyond its counters: function profiles (profile) and static memory
use of an ELF (memory). Depends on firmware and timing; used by machine and the CLI."""
