"""Helpers shared by the benchmark scripts of this folder.

The scripts import it with ``from _common import ...``: Python puts the folder
of the script it runs first on ``sys.path``, so the import works with
``python benchmarks/bench_fit.py`` from the root of the repository, from any
other working directory, and in the child processes the scripts start. It is
not a benchmark: the documentation lists the ``bench_*.py`` scripts only.

What is here:

- the machine and the run: :func:`machine_info`, :func:`usable_cpus`,
  :func:`cpu_model`, :func:`memory_gb`, :func:`package_versions`,
  :func:`command_line`, :func:`utc_timestamp`;
- the CPU load: :func:`cpu_busy`, :func:`tree_cpu`, :func:`cpu_shares`,
  :func:`wait_for_quiet`;
- the memory of a process tree: :class:`TreeMemory`, :func:`tree_memory`;
- child processes: :func:`run_child_script`, :func:`print_child_result`;
- the output: :data:`RESULTS`, :func:`log`, :func:`add_out_argument`,
  :func:`write_results`, :func:`fmt_num`, :func:`run_note`.

psutil is optional here (the functions that need it fail without it); a
script that cannot do without it imports it itself.
"""

import datetime
import importlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

try:
    import psutil
except ImportError:
    psutil = None

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CHILDREN_SECONDS = 0.25  # how often the list of descendant processes is renewed
# Distribution name -> module name, where they differ.
_MODULES = {"scikit-learn": "sklearn"}


# -- the machine and the run ---------------------------------------------------


def usable_cpus():
    """The number of CPUs this process may run on.

    Returns
    -------
    int
        The size of the CPU affinity set, or ``os.cpu_count()`` on a platform
        without ``os.sched_getaffinity``.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def cpu_model():
    """The model name of the CPU.

    Returns
    -------
    str or None
        The first ``model name`` of ``/proc/cpuinfo`` (Linux), else
        ``platform.processor()``, or None when neither tells.
    """
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def memory_gb():
    """The total physical memory in GB (10^9 bytes), to one decimal.

    Returns
    -------
    float
        ``psutil.virtual_memory().total / 1e9``, rounded.
    """
    return round(psutil.virtual_memory().total / 1e9, 1)


def package_versions(*names):
    """The versions of Python and of packages.

    Parameters
    ----------
    *names : str
        ``"python"`` or the names of packages, as distributed
        (``"scikit-learn"``) or as imported (``"numpy"``).

    Returns
    -------
    dict
        Name -> ``platform.python_version()`` for ``"python"``, the package's
        ``__version__`` otherwise, or None for a package that is not
        installed; in the order of ``names``.
    """
    versions = {}
    for name in names:
        if name == "python":
            versions[name] = platform.python_version()
            continue
        try:
            module = importlib.import_module(_MODULES.get(name, name))
        except ImportError:
            versions[name] = None
        else:
            versions[name] = module.__version__
    return versions


def machine_info(versions, **extra):
    """A description of the machine, for the JSON of a run.

    Parameters
    ----------
    versions : dict
        The versions of the packages, e.g. from :func:`package_versions`.
    **extra
        More entries (``memory_gb``, ``cpu_model``...), placed after the CPU
        counts in the order given.

    Returns
    -------
    dict
        ``cpu_count``, ``usable_cpus``, the ``extra`` entries, ``platform``,
        ``python`` and ``versions``.
    """
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        **extra,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def command_line():
    """The command that ran this script, to record with its results.

    Returns
    -------
    str
        ``python <script> <arguments>``, the script's path relative to the
        root of the repository when it is inside it, as given otherwise.
    """
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(HERE.parent)
    except ValueError:
        script = Path(sys.argv[0])
    return " ".join(["python", str(script), *sys.argv[1:]])


def utc_timestamp():
    """The current date and time in UTC, ISO 8601, to the second.

    Returns
    -------
    str
        For example ``"2025-01-31T12:00:00+00:00"``.
    """
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# -- the CPU load --------------------------------------------------------------


def cpu_busy():
    """CPU seconds all processors have been busy since boot.

    Returns
    -------
    float
        The sum of the CPU times of all processors, less idle and I/O wait.
    """
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def tree_cpu():
    """CPU seconds of this process, its live descendants and its reaped ones.

    Returns
    -------
    dict
        Process id -> user + system seconds, for this process and every live
        descendant, and ``"reaped"`` -> the seconds of the children this
        process has waited for (they include their own reaped children). A
        process that ends while it is read is left out. The sum of the values
        is the CPU time of the whole tree.
    """
    processes = process_tree()
    me = processes[0]
    seconds = {}
    for proc in processes:
        try:
            t = proc.cpu_times()
        except psutil.Error:  # a worker that ended meanwhile
            continue
        seconds[proc.pid] = t.user + t.system
    t = me.cpu_times()
    seconds["reaped"] = t.children_user + t.children_system
    return seconds


def cpu_shares(seconds, own, busy):
    """Compute the shares of all CPUs taken by a task and by other processes.

    Parameters
    ----------
    seconds : float
        Wall-clock seconds of the task.
    own : float
        CPU seconds of the task (its process tree) during that time.
    busy : float
        CPU seconds all processors were busy during that time
        (a difference of :func:`cpu_busy`).

    Returns
    -------
    own_share : float
        ``own`` over the capacity of all CPUs during ``seconds``.
    foreign_share : float
        The busy time that is not the task's, over the same capacity (0 at
        least).
    """
    capacity = seconds * psutil.cpu_count()
    return own / capacity, max(0.0, busy - own) / capacity


def wait_for_quiet(max_foreign, max_wait):
    """Wait until other processes take at most ``max_foreign`` of the CPUs.

    The caller and its workers must be idle meanwhile: the whole CPU load is
    taken as the others'.

    Parameters
    ----------
    max_foreign : float
        The share of all CPUs (0 to 1) under which the machine is quiet.
    max_wait : float
        The longest wait, in seconds.

    Returns
    -------
    float
        The seconds waited; 0 without psutil (no wait).
    """
    if psutil is None:
        return 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        if psutil.cpu_percent(interval=0.5) <= 100 * max_foreign:
            break
    return time.perf_counter() - start


# -- the memory of a process tree ----------------------------------------------


class MemorySample(NamedTuple):
    """The memory of some processes at one time, in bytes.

    Attributes
    ----------
    rss : int
        Their summed resident set size.
    parent : int
        The resident set size of the first of them (0 if it could not be
        read).
    anon : int
        Their summed anonymous memory: RSS minus file-backed and shared pages.
    """

    rss: int
    parent: int
    anon: int


class TreeMemory(threading.Thread):
    """Poll the memory of this process and its descendants; keep the peaks.

    A daemon thread: :meth:`start` it before the work to measure,
    :meth:`stop` it after.

    Parameters
    ----------
    poll_seconds : float
        The interval between two samples.
    children_seconds : float, default=CHILDREN_SECONDS
        How often the list of descendant processes is renewed.
    pss_seconds : float or None, default=None
        If set, also sample the summed proportional set size (PSS) of the
        tree this often. PSS divides each page among the processes that map
        it, so a shared library or a memory-mapped array counts once for the
        tree, where the summed RSS counts it once per process. Reading it
        costs milliseconds per process (``/proc/<pid>/smaps_rollup``, Linux
        only), hence a slower cadence than ``poll_seconds``.

    Attributes
    ----------
    peak : int
        The largest summed RSS of the process tree, in bytes.
    peak_parent : int
        This process's RSS in the sample of ``peak``.
    peak_anon : int
        The largest summed anonymous memory (RSS minus file-backed and shared
        pages), in bytes; not necessarily in the sample of ``peak``.
    peak_pss : int or None
        The largest summed PSS of the process tree, in bytes; None unless
        ``pss_seconds`` is set and ``/proc`` provides it.
    samples : int
        The number of samples taken.
    """

    def __init__(
        self, poll_seconds, children_seconds=CHILDREN_SECONDS, pss_seconds=None
    ):
        super().__init__(daemon=True)
        self._stop_event = threading.Event()
        self.poll_seconds = poll_seconds
        self.children_seconds = children_seconds
        self.pss_seconds = pss_seconds
        self.peak = 0
        self.peak_parent = 0
        self.peak_anon = 0
        self.peak_pss = None
        self.samples = 0

    @staticmethod
    def pss(processes):
        """Summed PSS of ``processes`` in bytes, or None if ``/proc`` lacks it.

        Parameters
        ----------
        processes : list of psutil.Process
            The processes; one that has ended is skipped.

        Returns
        -------
        int or None
        """
        if not os.path.exists("/proc/self/smaps_rollup"):
            return None  # not Linux, or a kernel older than 4.14
        total = 0
        for proc in processes:
            try:
                with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as rollup:
                    for line in rollup:
                        if line.startswith(b"Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except (OSError, ValueError):  # a process that ended meanwhile
                continue
        return total

    @staticmethod
    def measure(processes):
        """Sample the memory of ``processes``.

        Parameters
        ----------
        processes : list of psutil.Process
            The processes, the parent first; one that has ended is skipped.

        Returns
        -------
        MemorySample
            Their summed RSS, the RSS of the first and their summed anonymous
            memory.
        """
        rss, parent, anon = 0, 0, 0
        for i, proc in enumerate(processes):
            try:
                info = proc.memory_info()
            except psutil.Error:  # a process that ended meanwhile
                continue
            rss += info.rss
            anon += info.rss - getattr(info, "shared", 0)
            if i == 0:
                parent = info.rss
        return MemorySample(rss, parent, anon)

    def run(self):
        """Poll until :meth:`stop` (the body of the thread)."""
        processes, renewed, pss_read = [], -1.0, -1.0
        while not self._stop_event.is_set():
            now = time.perf_counter()
            if now - renewed > self.children_seconds:
                processes = process_tree()
                renewed = now
            sample = self.measure(processes)
            if sample.rss > self.peak:
                self.peak, self.peak_parent = sample.rss, sample.parent
            self.peak_anon = max(self.peak_anon, sample.anon)
            if self.pss_seconds is not None and now - pss_read > self.pss_seconds:
                pss = self.pss(processes)
                if pss is not None:
                    self.peak_pss = max(self.peak_pss or 0, pss)
                pss_read = now
            self.samples += 1
            self._stop_event.wait(self.poll_seconds)

    def stop(self):
        """Stop polling and wait for the thread to end.

        Returns
        -------
        int
            ``peak``, the largest summed RSS in bytes.
        """
        self._stop_event.set()
        self.join()
        return self.peak


def tree_memory():
    """Sample the memory of this process and its descendants once.

    Returns
    -------
    MemorySample
        Their summed RSS, this process's RSS and their summed anonymous
        memory.
    """
    return TreeMemory.measure(process_tree())


def process_tree():
    """This process and its live descendants, this process first.

    Returns
    -------
    list of psutil.Process
    """
    me = psutil.Process()
    return [me, *me.children(recursive=True)]


# -- child processes -----------------------------------------------------------


def run_child_script(
    script, spec, log, *, result_mark, timeout, max_foreign, quiet_wait, label=None
):
    """Run ``script --child <spec>`` in a fresh interpreter; return its result.

    First waits (see :func:`wait_for_quiet`) for other processes to leave the
    CPUs. The child runs in a process group of its own, killed whole if it
    takes longer than ``timeout``; it reports its result with
    :func:`print_child_result`.

    Parameters
    ----------
    script : str or path-like
        The benchmark script (its ``__file__``).
    spec : dict
        What the child is to run, passed as JSON after ``--child``.
    log : callable
        Takes the messages about a child that timed out or failed.
    result_mark : str
        The start of the line that carries the result on the child's stdout.
    timeout : float
        Seconds after which the child is killed.
    max_foreign, quiet_wait : float
        The arguments ``max_foreign`` and ``max_wait`` of
        :func:`wait_for_quiet`.
    label : object, default=None
        How the messages name the child; ``spec`` by default.

    Returns
    -------
    dict or None
        The child's result, or None if it timed out or gave none (its stderr
        is then logged).
    """
    label = spec if label is None else label
    wait_for_quiet(max_foreign, quiet_wait)
    command = [sys.executable, str(Path(script).resolve()), "--child"]
    command.append(json.dumps(spec))
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, to end it whole
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        log(f"  timed out after {timeout} s: {label}")
        return None
    for line in out.splitlines():
        if line.startswith(result_mark):
            return json.loads(line[len(result_mark) :])
    log(f"  failed: {label}\n{err[-3000:]}")
    return None


def print_child_result(result, result_mark):
    """Hand the result of a child process to :func:`run_child_script`.

    Parameters
    ----------
    result : dict
        The result, serialisable as JSON.
    result_mark : str
        The mark the parent looks for, the same as its ``result_mark``.
    """
    print(result_mark + json.dumps(result), flush=True)


# -- the output ------------------------------------------------------------------


def log(message):
    """Print ``message`` at once (the output of a long run is followed live).

    Parameters
    ----------
    message : str
        The line to print.
    """
    print(message, flush=True)


def fmt_num(value, digits=2):
    """A number for a table: ``digits`` decimals, or ``"n/a"`` for None.

    Parameters
    ----------
    value : float or None
        The number, None when it was not measured.
    digits : int, default=2
        The number of decimals.

    Returns
    -------
    str
        The number formatted, or ``"n/a"``.
    """
    return "n/a" if value is None else f"{value:.{digits}f}"


def add_out_argument(parser, files, default="benchmarks/results for a full run"):
    """Add the option ``--out``, the directory of the results, to ``parser``.

    Its value is a :class:`~pathlib.Path`, None when the option is not given:
    the script then sets its default (usually :data:`RESULTS` for a full run,
    nothing for ``--quick``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser of the script's options.
    files : str
        The files written there, for the help.
    default : str, default="benchmarks/results for a full run"
        The default, for the help.
    """
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"directory for {files} (default: {default})",
    )


def write_results(out, name, record, markdown=None):
    """Write the results of a run: ``<name>.json`` and ``<name>.md``.

    Parameters
    ----------
    out : path-like
        The directory, made if missing.
    name : str
        The stem of the files, e.g. ``"bench_fit"``.
    record : dict
        Written as indented JSON to ``<name>.json``.
    markdown : str, default=None
        Written as it is to ``<name>.md``; no such file when None.

    Returns
    -------
    list of pathlib.Path
        The paths written, the JSON first.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.json"]
    paths[0].write_text(json.dumps(record, indent=2) + "\n")
    if markdown is not None:
        paths.append(out / f"{name}.md")
        paths[1].write_text(markdown)
    return paths


def run_note(report):
    """The last line of a table: the CPUs and the load of the run (its
    ``cpu_count`` and ``load_average``), and its wall time when the report
    has ``total_seconds``."""
    note = (
        f"Run: {report['cpu_count']} CPUs, 1-minute load average "
        f"{report['load_average'][0]:.1f} at the end (other processes share the "
        "machine: the CPU times are the steadier figures)"
    )
    if "total_seconds" in report:
        note += f"; {report['total_seconds']:.0f} s wall in all"
    return note + "."


def publish(report, table, name, args):
    """Print a run's table and write it with its record, as the scripts end.

    Parameters
    ----------
    report : dict
        The record of the run, with ``total_seconds``.
    table : str
        The markdown of the run.
    name : str
        The stem of the files, e.g. ``"bench_kaggle"``; ``_quick`` is added
        in ``--quick`` mode.
    args : argparse.Namespace
        With ``out`` (None: :data:`RESULTS` for a full run, nothing written
        for a quick one) and ``quick``.

    Returns
    -------
    int
        0, the exit status of the script.
    """
    print()
    print(table)
    print(f"\ntotal {report['total_seconds']:.0f} s")
    out = args.out if args.out is not None else (None if args.quick else RESULTS)
    if out is None:
        return 0
    stem = f"{name}_quick" if args.quick else name
    json_path, _ = write_results(out, stem, report, table + "\n")
    print(f"written to {json_path} and {stem}.md")
    return 0
