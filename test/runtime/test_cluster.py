"""End-to-end tests of the cluster RTL, its runtime and the host API.

Expected values are computed independently (numpy, or by hand from the
program's parameters), never taken from the simulator.
"""

from __future__ import annotations

import numpy as np
import pytest

from tdopt.runtime import cli
from tdopt.runtime.cluster import ClusterError, build_model, model_cores, run_elf
from tdopt.runtime.elf_image import read_elf

u32 = np.uint32


def sym_addr(elf, name: str) -> int:
    return read_elf(elf).symbol(name).addr


def word(value: int) -> bytes:
    return u32(value).tobytes()


# --- basics -------------------------------------------------------------------


@pytest.mark.parametrize("cores", [1, 8])
def test_hello_output_and_exit_code(model, program, cores):
    r = run_elf(program("hello.c"), cores=cores, model=model)
    assert r.output == "hello from core 0\n"
    assert r.exit_code == 42
    assert r.cycles > 0 and r.counters["instret"] > 0


def test_one_core_runs_use_a_one_core_model_that_matches_the_cluster(model, program):
    """A one-core run takes a model of one core by default (faster to
    simulate); it is the same cluster: cycle for cycle, every counter and
    every output byte as the full model running one core."""
    assert model_cores(1) == 1 and model_cores(2) == model_cores(8) == model.num_cores
    one = build_model(1)
    assert one.num_cores == 1
    for name in ("dot.c", "dma_pairs.c", "fpu_divsqrt.S", "bank_conflict.S"):
        full = run_elf(program(name), cores=1, model=model)
        alone = run_elf(program(name), cores=1, model=one)
        assert (alone.exit_code, alone.output) == (full.exit_code, full.output), name
        assert alone.counters == full.counters, name
    with pytest.raises(ValueError, match="built with 1 cores, not 2"):
        run_elf(program("dot.c"), cores=2, model=one)


@pytest.mark.parametrize("cores,l1", [(1, "64k"), (3, "128k"), (8, 256 * 1024)])
def test_cores_and_l1_size_selected_at_run_time(model, program, cores, l1):
    r = run_elf(program("sizes.c"), cores=cores, l1_size=l1, model=model)
    kib = {"64k": 64, "128k": 128, 256 * 1024: 256}[l1]
    assert r.exit_code == 1000 * cores + kib


def test_l1_data_must_fit_the_chosen_l1(model, program):
    elf = program("big_l1.c")
    assert run_elf(elf, cores=8, l1_size="128k", model=model).exit_code == 0
    with pytest.raises(ValueError, match="64 KiB L1"):
        run_elf(elf, cores=8, l1_size="64k", model=model)


# --- DMA ----------------------------------------------------------------------

TIERS = ("l1", "l2", "l3")
SLOT = 1024
# Parameters of dma_pairs.c.
SRC_OFF_1D, DST_OFF_1D, LEN_1D = 3, 5, 1001
SRC_OFF_2D, DST_OFF_2D, ROW_2D, ROWS_2D, SRC_STRIDE_2D, DST_STRIDE_2D = 7, 2, 37, 9, 50, 41


def test_dma_1d_and_2d_between_every_pair_of_tiers(model, program):
    rng = np.random.default_rng(1)
    srcs = {t: rng.integers(0, 256, 4096, dtype=np.uint8) for t in TIERS}
    dsts = {t: rng.integers(0, 256, 6 * SLOT, dtype=np.uint8) for t in TIERS}
    inputs = {f"src_{t}": srcs[t] for t in TIERS} | {f"dst_{t}": dsts[t] for t in TIERS}
    r = run_elf(program("dma_pairs.c"), cores=1, model=model, write_symbols=inputs,
                read_symbols=[f"dst_{t}" for t in TIERS])

    for d in TIERS:
        expected = dsts[d].copy()
        for s_index, s in enumerate(TIERS):
            one = 2 * s_index * SLOT + DST_OFF_1D
            expected[one:one + LEN_1D] = srcs[s][SRC_OFF_1D:SRC_OFF_1D + LEN_1D]
            two = (2 * s_index + 1) * SLOT + DST_OFF_2D
            for row in range(ROWS_2D):
                so = SRC_OFF_2D + row * SRC_STRIDE_2D
                do = two + row * DST_STRIDE_2D
                expected[do:do + ROW_2D] = srcs[s][so:so + ROW_2D]
        got = np.frombuffer(r.symbols[f"dst_{d}"], np.uint8)
        assert np.array_equal(got, expected), f"destination tier {d}"

    per_pair = LEN_1D + ROW_2D * ROWS_2D
    for s in TIERS:
        for d in TIERS:
            assert r.counters[f"dma.{s}_to_{d}.bytes"] == per_pair
    assert r.counters["dma.transfers"] == 18


def test_dma_l2_to_l1_throughput_64k(model, program):
    r = run_elf(program("dma_throughput.c"), cores=1, model=model,
                read_symbols=["cycles", "dma_bytes_seen", "instret_seen"])
    cycles = int(np.frombuffer(r.symbols["cycles"], u32)[0])
    bytes_per_cycle = 65536 / cycles
    print(f"L2->L1 64 KiB: {cycles} cycles, {bytes_per_cycle:.2f} B/cycle")
    assert bytes_per_cycle >= 7.5
    assert r.counters["dma.l2_to_l1.bytes"] == 65536
    # The program sees the same counters through the peripheral registers.
    assert np.frombuffer(r.symbols["dma_bytes_seen"], u32)[0] == 65536
    assert 0 < np.frombuffer(r.symbols["instret_seen"], u32)[0] < r.counters["instret"]


def test_dma_queue_holds_outstanding_transfers_and_blocks_when_full(model, program):
    src = np.random.default_rng(3).integers(0, 256, 12 * 256, dtype=np.uint8)
    r = run_elf(program("dma_queue.c"), cores=1, model=model, write_symbols={"src": src},
                read_symbols=["dst", "ids", "done_before_wait"])
    assert r.exit_code == 0
    assert np.frombuffer(r.symbols["ids"], u32).tolist() == list(range(12))
    # At least 4 (in fact 8) transfers were outstanding when the last one was queued.
    assert 12 - int(np.frombuffer(r.symbols["done_before_wait"], u32)[0]) >= 4
    assert np.array_equal(np.frombuffer(r.symbols["dst"], np.uint8), src)


def test_dma_takes_l1_banks_from_cores(model, program):
    r = run_elf(program("dma_steals_banks.S"), cores=1, model=model)
    # The DMA writes 8 B = 2 of the 16 banks per cycle, sweeping all banks every 8
    # cycles: the core's 2048 loads of one word lose about 1/8 of the time (256).
    assert 200 <= r.counters["stall_bank"] <= 320
    assert r.counters["dma.l2_to_l1.bytes"] == 16384


@pytest.mark.parametrize("cores", [1, 5, 8])
def test_assembly_macros(model, program, cores):
    matrix = np.arange(64, dtype=np.uint8)
    r = run_elf(program("macros.S"), cores=cores, model=model, write_symbols={"matrix": matrix},
                read_symbols=["ids", "gathered", "dma_id", "cycles_seen"])
    assert r.exit_code == cores and r.output == "ok"
    assert np.frombuffer(r.symbols["ids"], np.int32).tolist() == list(range(cores)) + [-1] * (8 - cores)
    assert np.array_equal(np.frombuffer(r.symbols["gathered"], np.uint8),
                          matrix.reshape(4, 16)[:, :8].reshape(-1))
    assert np.frombuffer(r.symbols["dma_id"], u32)[0] == 0
    assert 0 < np.frombuffer(r.symbols["cycles_seen"], u32)[0] < r.cycles


def test_nested_hardware_loops(model, program):
    r = run_elf(program("hwloop.S"), cores=1, model=model, read_symbols=["sum"],
                write_symbols={"inner": np.uint32(7), "outer": np.uint32(9)})
    assert r.exit_code == 7 * 9
    assert np.frombuffer(r.symbols["sum"], u32)[0] == 9


# --- barrier and parallel speed-up --------------------------------------------


def test_barrier_1000_rounds_on_8_cores(model, program):
    r = run_elf(program("barrier.c"), cores=8, model=model,
                read_symbols=["errors", "rounds_done"])
    assert np.frombuffer(r.symbols["errors"], u32).tolist() == [0] * 8
    assert np.frombuffer(r.symbols["rounds_done"], u32).tolist() == [1000] * 8
    # 2000 barriers on every core: the cores block in the barrier instead of spinning.
    assert r.counters["wait_sync"] > 0


def test_parallel_dot_product_speedup(model, program):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(8192).astype(np.float32)
    y = rng.standard_normal(8192).astype(np.float32)
    want = float(np.dot(x.astype(np.float64), y.astype(np.float64)))
    cycles = {}
    for cores in (1, 8):
        r = run_elf(program("dot.c"), cores=cores, model=model, write_symbols={"x": x, "y": y},
                    read_symbols=["result", "cycles"])
        got = float(np.frombuffer(r.symbols["result"], np.float32)[0])
        assert got == pytest.approx(want, rel=1e-4, abs=1e-3)
        cycles[cores] = int(np.frombuffer(r.symbols["cycles"], u32)[0])
        # One fmadd.s per element, plus per core a few moves/additions of partial sums.
        assert 8192 <= r.counters["fp_ops"] < 8192 + 16 * cores
    speedup = cycles[1] / cycles[8]
    print(f"dot product: 1 core {cycles[1]} cycles, 8 cores {cycles[8]} cycles, {speedup:.2f}x")
    assert speedup >= 7.0


def test_bank_conflicts_are_counted(model, program):
    elf = program("bank_conflict.S")
    same = run_elf(elf, cores=2, model=model, write_symbols={"same_bank": word(1)})
    apart = run_elf(elf, cores=2, model=model, write_symbols={"same_bank": word(0)})
    assert apart.counters["stall_bank"] == 0
    # 2 x 512 loads on one bank: one core loses nearly every cycle.
    assert same.counters["stall_bank"] >= 400
    assert same.cycles > apart.cycles + 400


# --- error reporting ------------------------------------------------------------


def run_error_case(model, elf, which: int, **kwargs) -> ClusterError:
    with pytest.raises(ClusterError) as info:
        run_elf(elf, model=model, write_symbols={"which": word(which)}, **kwargs)
    return info.value


def test_out_of_bounds_store_reports_core_pc_address(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 1, cores=8)
    assert (e.kind, e.core, e.pc, e.addr) == ("bus", 0, sym_addr(elf, "bad_store"), 0x3000_0000)
    assert "core 0" in str(e) and f"{sym_addr(elf, 'bad_store'):#010x}" in str(e)
    assert "0x30000000" in str(e)


def test_out_of_bounds_store_on_another_core(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 3, cores=8)
    assert (e.kind, e.core, e.pc, e.addr) == ("bus", 3, sym_addr(elf, "bad_store_core3"), 0x40)
    assert "core 3" in str(e)


def test_store_past_the_active_l1_size(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 7, cores=1, l1_size="64k")
    assert (e.kind, e.pc, e.addr) == ("bus", sym_addr(elf, "bad_store_l1"), 0x1001_0000)
    # The same store is fine with a 128 KiB L1.
    r = run_elf(elf, cores=1, l1_size="128k", model=model, write_symbols={"which": word(7)})
    assert r.exit_code == 0


def test_core_access_to_l3_is_an_error(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 8, cores=1)
    assert (e.kind, e.pc, e.addr) == ("bus", sym_addr(elf, "bad_load_l3"), 0x8000_0010)
    assert "only by DMA" in str(e)


def test_waiting_for_a_dma_transfer_never_started_is_an_error(model, program):
    e = run_error_case(model, program("errors.S"), 9, cores=1)
    assert e.kind == "dma" and "transfer 5, which was never started" in str(e)


def test_illegal_instruction_reports_core_and_pc(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 2, cores=8)
    assert (e.kind, e.core, e.pc) == ("trap", 0, sym_addr(elf, "bad_insn"))
    assert "illegal instruction" in str(e) and "core 0" in str(e)


def test_hazard_core_reads_bytes_dma_writes(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 4, cores=1)
    assert e.kind == "hazard"
    assert (e.core, e.pc, e.addr) == (0, sym_addr(elf, "racy_load"), sym_addr(elf, "l1_buf") + 100)
    assert "cycle" in str(e) and "core 0" in str(e)


def test_hazard_core_writes_bytes_dma_reads(model, program):
    elf = program("errors.S")
    e = run_error_case(model, elf, 5, cores=1)
    assert e.kind == "hazard"
    assert (e.core, e.pc, e.addr) == (0, sym_addr(elf, "racy_store"), sym_addr(elf, "l1_buf") + 1000)


def test_no_hazard_when_core_waits_for_dma(model, program):
    elf = program("errors.S")
    pattern = np.arange(256, dtype=u32) * 7 + 1
    r = run_elf(elf, cores=1, model=model, read_symbols=["loaded"],
                write_symbols={"which": word(6), "l2_buf": pattern})
    assert np.frombuffer(r.symbols["loaded"], u32)[0] == pattern[25]  # byte offset 100


def test_timeout_is_an_error(model, program):
    with pytest.raises(ClusterError) as info:
        run_elf(program("dot.c"), cores=1, max_cycles=1000, model=model)
    assert info.value.kind == "timeout"


# --- tdrun --------------------------------------------------------------------


def test_tdrun_prints_output_exit_code_and_counters(model, program, capsys):
    assert cli.main([str(program("hello.c")), "--cores", "2", "--l1", "64k"]) == 42
    out, err = capsys.readouterr()
    assert out == "hello from core 0\n"
    assert "exit code 42" in err and "cycles" in err and "instret" in err


def test_tdrun_errors_are_one_line(model, program, capsys, tmp_path):
    elf = program("errors.S")
    assert cli.main([str(tmp_path / "missing.elf")]) == 1
    assert cli.main([str(elf), "--cores", "9"]) == 1
    assert cli.main([str(elf), "--bogus"]) == 2
    assert cli.main([__file__]) == 1  # not an ELF
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("tdrun: ") for line in lines)
    assert "Traceback" not in err
