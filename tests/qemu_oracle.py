"""QEMU as the oracle of differential tests: run an ELF on ``qemu-system-arm -M mps2-an386`` (or
another machine) with the semihosting console (or UART0) sent to a file (QEMU's own messages
stay apart)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def run_qemu(elf: Path, out: Path, timeout: float = 60, serial: Path | None = None,
             machine: str = "mps2-an386") -> tuple[str, int]:
    """The program's semihosting output and QEMU's exit code (the program's, via SYS_EXIT).

    With ``serial``, UART0 (on mps2-an386 the CMSDK UART at 0x40004000) goes to that file, and its
    text is returned instead of the semihosting output."""
    qemu = shutil.which("qemu-system-arm")
    assert qemu is not None, "qemu-system-arm is missing: the README's set-up installs it"
    res = subprocess.run(
        # -icount: QEMU's clock (and so SysTick) follows the instructions it ran, not the host's
        # time, so a loaded machine cannot change where ticks land in the transcript
        [qemu, "-M", machine, "-nographic", "-monitor", "none", "-icount", "shift=0",
         "-serial", f"file:{serial}" if serial is not None else "none",
         "-chardev", f"file,id=semi,path={out}", "-semihosting-config", "enable=on,target=native,chardev=semi",
         "-kernel", str(elf)],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    text = serial if serial is not None else out
    return (text.read_text() if text.exists() else ""), res.returncode
