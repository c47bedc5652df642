"""Bad input to the command-line tools, as a careless user gives it
(issue 14): each case is one diagnostic naming what is wrong and what is
accepted, a non-zero exit, never a traceback, an "internal compiler error",
a hang or a lost file. The tools run as subprocesses, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from onnx import TensorProto, helper, save

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT.parent)}


def tool(name: str, *argv: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"tdopt.tools.{name}", *map(str, argv)],
        capture_output=True, text=True, env=ENV, cwd=cwd, timeout=timeout,
    )


def fails(p: subprocess.CompletedProcess, *fragments: str) -> str:
    """The run failed with a diagnostic holding every fragment."""
    err = p.stderr
    assert p.returncode != 0, (p.stdout, err)
    assert "error: " in err, err
    for bad in ("Traceback", "internal compiler error", "internal error"):
        assert bad not in err, err
    for f in fragments:
        assert f in err, err
    return err


# --- 1. cycles in ONNX graphs -------------------------------------------------


def test_onnx_graph_with_a_cycle_is_a_diagnostic_naming_its_nodes(tmp_path: Path) -> None:
    # x -> first(Add x, c) -a-> second -b-> third -c-> first: a cycle
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="second"),
         helper.make_node("Relu", ["b"], ["c"], name="third"),
         helper.make_node("Relu", ["b"], ["y"], name="out")],
        "cyc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "c.onnx"))
    err = fails(tool("tdimport", tmp_path / "c.onnx", "-o", tmp_path / "c.mlir", timeout=60),
                "has a cycle", "'first' (Add) -[a]->", "'second' (Relu) -[b]->",
                "'third' (Relu) -[c]->")
    assert "'out'" not in err  # a node reading the cycle is not part of it
    assert not (tmp_path / "c.mlir").exists()
    # a self-loop
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "s"], ["s"], name="self"),
         helper.make_node("Relu", ["s"], ["y"], name="out")],
        "loop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "s.onnx"))
    fails(tool("tdimport", tmp_path / "s.onnx", timeout=60), "has a cycle", "'self' (Add) -[s]-> 'self'")


# --- 2. one place for expected failures ------------------------------------------

MODULE = """\
builtin.module attributes {train.weights = "w.npz"} {
  func.func @main(%x: tensor<2x3xf32>, %t: tensor<2x4xf32>) -> tensor<f32> {
    %w = train.param @w trainable : tensor<3x4xf32>
    %y = train.matmul %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %l = train.mse %y, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
    func.return %l : tensor<f32>
  }
}
"""


def write_model(folder: Path, weights=None) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    path = folder / "m.mlir"
    path.write_text(MODULE)
    np.savez(folder / "w.npz", w=rng.standard_normal((3, 4)).astype(np.float32) if weights is None else weights)
    np.savez(folder / "in.npz", x=rng.standard_normal((2, 3)).astype(np.float32),
             t=rng.standard_normal((2, 4)).astype(np.float32))
    return path


def test_value_errors_are_not_bad_pipelines(tmp_path: Path) -> None:
    import numpy as np

    m = write_model(tmp_path, np.array([["a"] * 4] * 3))
    # string weights: the array and its dtype, at the parameter
    for p in (tool("tdopt", m), tool("tdopt", m, "-p", "train-autodiff"),
              tool("tdrun", m, "--reference", "--inputs", tmp_path / "in.npz")):
        err = fails(p, "m.mlir:3:5", "parameter @w", "dtype <U1 (strings)", "expected numbers")
        assert "bad pass pipeline" not in err
    # bytes that are not UTF-8: the file and where
    bad = tmp_path / "bad.mlir"
    bad.write_bytes(b"func.func @f() {\n  // caf\xe9\n  func.return\n}\n")
    for p in (tool("tdopt", bad), tool("tdopt", bad, "-p", "canonicalize"),
              tool("tdrun", bad, "--reference")):
        err = fails(p, "bad.mlir:2:9: error: not UTF-8 text (byte 0xe9)")
        assert "bad pass pipeline" not in err
    # what really is a bad pipeline still says so
    write_model(tmp_path)
    fails(tool("tdopt", m, "-p", "no-such-pass"), "bad pass pipeline", "no-such-pass")
    fails(tool("tdopt", m, "-p", "train-sgd{lr=x}"), "bad pass pipeline")


# --- 3. tdrun: file mistakes, outputs ----------------------------------------------


def test_tdrun_file_mistakes_are_diagnostics_before_the_run(tmp_path: Path) -> None:
    import numpy as np

    m = write_model(tmp_path)
    ok = ["--reference", "--inputs", tmp_path / "in.npz"]
    (tmp_path / "folder.npz").mkdir()
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    (tmp_path / "text.npz").write_text("x = 1\n")
    (tmp_path / "empty.npz").write_bytes(b"")
    np.savez(tmp_path / "strings.npz", x=np.array([["a"] * 3] * 2), t=np.ones((2, 4), np.float32))
    fails(tool("tdrun", tmp_path, "--reference"), f"{tmp_path}: is a folder")
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "folder.npz"), "folder.npz: is a folder")
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "x.npy"),
          "x.npy: a .npy file (one array of shape [2, 3]); give an .npz")
    # a truncated .npy named .npz (found by tools/fuzz.sh: an internal error before)
    (tmp_path / "cut.npz").write_bytes((tmp_path / "x.npy").read_bytes()[:15])
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "cut.npz"),
          "cut.npz: a .npy file (damaged: ", "give an .npz")
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "text.npz"), "text.npz: not an .npz archive")
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "empty.npz"), "empty.npz: empty")
    # /dev/null: a device (or, in some sandboxes, an empty file): never read as arrays
    fails(tool("tdrun", m, "--reference", "--inputs", "/dev/null"), "/dev/null", "--inputs")
    fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "strings.npz"),
          "array 'x' has dtype <U1; expected numbers")
    fails(tool("tdrun", m, *ok, "--expect", tmp_path / "text.npz"), "--expect", "not an .npz archive")
    np.savez(tmp_path / "bad_expect.npz", loss=np.array(["x"]))
    p = tool("tdrun", m, *ok, "--expect", tmp_path / "bad_expect.npz")
    fails(p, "--expect", "array 'loss' has dtype <U1")
    assert "loss =" not in p.stdout  # found before the run
    np.savez(tmp_path / "shape_expect.npz", loss=np.ones(3))
    p = tool("tdrun", m, *ok, "--expect", tmp_path / "shape_expect.npz")
    assert p.returncode == 1 and "MISMATCH" in p.stdout and "loss (shape [], expected [3])" in p.stdout
    assert "Traceback" not in p.stderr + p.stdout and "internal" not in p.stderr
    # -o: checked before the run, never onto an input, results written whole
    p = tool("tdrun", m, *ok, "-o", tmp_path / "missing" / "out.npz")
    fails(p, "missing does not exist")
    assert "loss =" not in p.stdout
    before = {f: (tmp_path / f).read_bytes() for f in ("in.npz", "w.npz", "m.mlir")}
    for f in before:
        fails(tool("tdrun", m, *ok, "-o", tmp_path / f), "would overwrite the input" if f != "m.mlir" else ".npz")
    assert {f: (tmp_path / f).read_bytes() for f in before} == before
    assert tool("tdrun", m, *ok, "-o", tmp_path / "out.npz").returncode == 0
    with np.load(tmp_path / "out.npz") as out:
        assert out["loss"].shape == ()
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".tmp")] == []


def test_outputs_are_written_atomically(tmp_path: Path) -> None:
    from tdopt.tools.diagnostics import write_output

    out = tmp_path / "r.npz"
    out.write_bytes(b"previous")

    def half_then_crash(fh) -> None:
        fh.write(b"half")
        raise KeyboardInterrupt

    try:
        write_output(str(out), half_then_crash)
    except KeyboardInterrupt:
        pass
    assert out.read_bytes() == b"previous" and sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]
    write_output(str(out), lambda fh: fh.write(b"new"))
    assert out.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_tdimport_never_writes_onto_its_trainable_list(tmp_path: Path) -> None:
    from onnx import numpy_helper
    import numpy as np

    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])],
        [numpy_helper.from_array(np.ones((8, 8), np.float32), "w")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    names = tmp_path / "names.mlir"
    names.write_text("w\n")
    fails(tool("tdimport", tmp_path / "m.onnx", "--trainable", f"@{names}", "-o", names),
          "would overwrite the input")
    assert names.read_text() == "w\n"
    assert tool("tdimport", tmp_path / "m.onnx", "-o", tmp_path / "out.mlir").returncode == 0
    assert (tmp_path / "out.npz").exists() and "train.param @w" in (tmp_path / "out.mlir").read_text()


# --- 4. tdbench: rows and output paths before any row runs --------------------------


def test_tdbench_checks_rows_and_paths_before_running(tmp_path: Path) -> None:
    from tdopt.tools.tdbench import ROWS

    for rows in ("", ",", " "):
        p = tool("tdbench", "--rows", rows, timeout=60)
        assert p.returncode == 2 and "names no row" in p.stderr and "gemm64" in p.stderr, p.stderr
        assert "[1/" not in p.stderr  # nothing ran
    p = tool("tdbench", "--rows", "gemm64,nope", timeout=60)
    assert p.returncode == 2 and "unknown rows nope" in p.stderr
    assert all(r.name in p.stderr for r in ROWS)  # the valid names listed
    for flag in ("--csv", "--profile-csv", "--plot"):
        p = tool("tdbench", "--rows", "gemm64", flag, tmp_path / "missing" / "t.csv", timeout=60)
        assert p.returncode == 2 and f"{flag} " in p.stderr and "does not exist" in p.stderr, p.stderr
        assert "[1/" not in p.stderr and "Traceback" not in p.stderr
        p = tool("tdbench", "--rows", "gemm64", flag, tmp_path, timeout=60)
        assert p.returncode == 2 and "is a folder" in p.stderr and "[1/" not in p.stderr


# --- 5. tdrun flags: checked before compiling, none silently ignored -----------------


def test_tdrun_flags_are_checked_before_anything_is_read(tmp_path: Path) -> None:
    m = write_model(tmp_path)
    missing = tmp_path / "not_there.mlir"  # a flag error is found before the file is read
    for flags, fragment in (
        (["--cores", "0"], "--cores 0: the cluster has 1 to 8 cores"),
        (["--cores", "9"], "--cores 9: the cluster has 1 to 8 cores"),
        (["--l1", "5"], "--l1 5: the cluster's L1 is 64k, 128k, 256k"),
        (["--l1", "96k"], "--l1 96k: the cluster's L1 is 64k, 128k, 256k"),
        (["--tile-l1", "1k"], "--tile-l1 1k: the cluster's L1 is"),
        (["--tile-l1", "64k", "--l1", "256k"], "--tile-l1 64k sets the L1 size; drop --l1 256k"),
        (["--max-cycles", "0"], "--max-cycles 0: must be a positive cycle count"),
        (["--max-cycles", "-3"], "--max-cycles -3: must be a positive cycle count"),
    ):
        err = fails(tool("tdrun", missing, "--rtl", *flags, timeout=60), fragment)
        assert "not_there" not in err
    # under --reference the RTL's flags would be ignored: an error naming them
    err = fails(tool("tdrun", m, "--reference", "--inputs", tmp_path / "in.npz", "--cores", "99",
                     "--l1", "5", "--tile-l1", "1k", "--max-cycles", "-3"),
                "--cores --l1 --tile-l1 --max-cycles have no effect with --reference")
    for flag in ("--cores", "--l1", "--tile-l1", "--max-cycles", "--l2", "--keep"):
        fails(tool("tdrun", m, "--reference", flag, "1"), f"{flag} has no effect with --reference")
    # the flags as such are fine with --reference absent
    assert tool("tdrun", m, "--reference", "--inputs", tmp_path / "in.npz").returncode == 0


def test_tdrun_valid_rtl_flags_still_run(tmp_path: Path) -> None:
    m = write_model(tmp_path)
    inputs = ["--inputs", tmp_path / "in.npz"]
    assert tool("tdrun", m, "--reference", *inputs, "-o", tmp_path / "ref.npz").returncode == 0
    p = tool("tdrun", m, "--rtl", *inputs, "--cores", "2", "--l1", "64k", "--max-cycles", "5000000",
             "--expect", tmp_path / "ref.npz", timeout=600)
    assert p.returncode == 0 and "matches" in p.stdout, p.stdout + p.stderr


# --- 6. tdopt: conflicting flags, targets that do not apply ---------------------------

ADD = """\
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c = train.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %c : tensor<4xf32>
}
"""


def test_tdopt_emit_train_with_lowering_flags_is_a_conflict(tmp_path: Path) -> None:
    m = tmp_path / "add.mlir"
    m.write_text(ADD)
    fails(tool("tdopt", m, "--emit=train", "--tile-l1", "128k"),
          "--emit=train conflicts with --tile-l1", "use --emit=linalg or --emit=asm")
    fails(tool("tdopt", m, "--emit=train", "--tile-l1", "64k", "--cores", "2", "--l2", "1m"),
          "--emit=train conflicts with --tile-l1, --cores, --l2")
    # without --emit, --tile-l1 still means assembly
    p = tool("tdopt", m, "--tile-l1", "64k")
    assert p.returncode == 0 and ".globl main" in p.stdout, p.stderr


def test_tdopt_targets_must_apply_to_the_result(tmp_path: Path) -> None:
    m = tmp_path / "add.mlir"
    m.write_text(ADD)
    for target in ("x86-asm", "wgsl", "arm-asm", "llvm"):
        for spelling in (["-t", target], [f"--target={target}"]):
            p = tool("tdopt", m, "--emit=asm", *spelling)
            fails(p, f"-t {target}", "lowered to RISC-V", "the targets that apply: mlir, riscv-asm")
            assert p.stdout == ""
    fails(tool("tdopt", m, "-t", "riscv-asm"), "-t riscv-asm", "func, train dialects",
          "the targets that apply: mlir")
    fails(tool("tdopt", m, "--emit=linalg", "-t", "x86-asm"), "the targets that apply: mlir")
    # what applies prints: the assembly, or the RISC-V level as MLIR when asked
    asm = tool("tdopt", m, "--emit=asm", "-t", "riscv-asm")
    assert asm.returncode == 0 and ".globl main" in asm.stdout
    assert tool("tdopt", m, "--emit=asm").stdout == asm.stdout
    ir = tool("tdopt", m, "--emit=asm", "-t", "mlir")
    assert ir.returncode == 0 and "riscv_func.func" in ir.stdout


# --- 8. NaN / Inf in inputs and weights ------------------------------------------------


def test_non_finite_inputs_and_weights_are_warned_about(tmp_path: Path) -> None:
    import numpy as np

    w = np.ones((3, 4), np.float32)
    w[0, 0], w[1, 2] = np.inf, -np.inf
    m = write_model(tmp_path, w)
    x = np.ones((2, 3), np.float32)
    x[1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", x=x, t=np.zeros((2, 4), np.float32))
    for how in (["--reference"], ["--rtl"]):
        p = tool("tdrun", m, *how, "--inputs", tmp_path / "nan.npz", timeout=600)
        assert p.returncode == 0, p.stderr  # a warning, not an error: the run is what was asked
        assert "Traceback" not in p.stderr and "internal" not in p.stderr
        assert "warning: --inputs" in p.stderr and "array 'x' has 1 non-finite value (NaN) of 6" in p.stderr
        assert "parameter 'w' has 2 non-finite values (Inf) of 12" in p.stderr, p.stderr
        assert "warning: the run: result 'loss' is nan" in p.stderr, p.stderr
        assert "loss = nan" in p.stdout
    # finite data: no warning
    write_model(tmp_path)
    p = tool("tdrun", m, "--reference", "--inputs", tmp_path / "in.npz")
    assert p.returncode == 0 and "warning" not in p.stderr


# --- 7. unknown attributes on train ops --------------------------------------------------


def test_unknown_attribute_on_a_train_op_is_a_located_diagnostic(tmp_path: Path) -> None:
    m = tmp_path / "a.mlir"
    m.write_text(ADD.replace("%a, %b :", "%a, %b {scale = 2.0 : f32} :"))
    fails(tool("tdopt", m), "a.mlir:2:3", "'train.add': unknown attribute 'scale'",
          "accepted: the op's properties (none)", "discardable attributes train.lora")
    sm = tmp_path / "s.mlir"
    sm.write_text(
        "func.func @f(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {\n"
        "  %s = train.softmax %a {axis = 1 : i64, axsi = 0 : i64} : (tensor<2x4xf32>) -> tensor<2x4xf32>\n"
        "  func.return %s : tensor<2x4xf32>\n}\n")
    fails(tool("tdopt", sm), "s.mlir:2:3", "unknown attribute 'axsi'", "properties (axis)")
    fails(tool("tdrun", sm, "--reference"), "unknown attribute 'axsi'")
    # the project's own discardable attribute for train ops verifies; the
    # cluster dialect's do not belong on them
    ok = tmp_path / "ok.mlir"
    ok.write_text(ADD.replace("%a, %b :", '%a, %b {train.lora = {base = "w"}} :'))
    assert tool("tdopt", ok).returncode == 0
    bad = tmp_path / "bad.mlir"
    bad.write_text(ADD.replace("%a, %b :", '%a, %b {cluster.kernel = "add"} :'))
    fails(tool("tdopt", bad), "bad.mlir:2:3", "unknown attribute 'cluster.kernel'")


def test_the_projects_own_ir_still_verifies(tmp_path: Path) -> None:
    """train-lora tags its adds (train.lora); its output reads back."""
    block = ROOT / "examples" / "cct_block"
    subprocess.run([sys.executable, block / "make_inputs.py"], check=True, env=ENV, capture_output=True)
    out = block / "encoder_block.mlir"
    p = tool("tdopt", out, "--lora=2", "-o", tmp_path / "step.mlir")
    assert p.returncode == 0, p.stderr
    assert "train.lora" in (tmp_path / "step.mlir").read_text()
    again = tool("tdopt", tmp_path / "step.mlir")
    assert again.returncode == 0, again.stderr


# --- 9. ONNX outputs declared with a wrong shape -------------------------------------------


def test_onnx_output_declared_with_another_shape_is_a_diagnostic(tmp_path: Path) -> None:
    from onnx import numpy_helper
    import numpy as np

    def model(declared, name: str) -> Path:
        g = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
             helper.make_node("Relu", ["h"], ["y"], name="act")], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, declared)],
            [numpy_helper.from_array(np.ones((3, 5), np.float32), "w")])
        path = tmp_path / f"{name}.onnx"
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
        return path

    fails(tool("tdimport", model([2, 4], "bad"), "-o", tmp_path / "bad.mlir"),
          "graph output 'y' is declared with shape [2, 4] but computes shape [2, 5]")
    fails(tool("tdimport", model([5, 2], "swapped"), "-o", tmp_path / "s.mlir"),
          "'y'", "[5, 2]", "[2, 5]")
    assert not (tmp_path / "bad.mlir").exists() and not (tmp_path / "bad.npz").exists()
    # the right shape, a symbolic one and none at all import
    for declared, name in (([2, 5], "right"), (["N", 5], "symbolic"), (None, "none")):
        p = tool("tdimport", model(declared, name), "-o", tmp_path / f"{name}.mlir")
        assert p.returncode == 0, p.stderr


# --- 10. locations: parse errors, LoRA rank, weights paths ------------------------------------

GOOD = ADD.splitlines()


def test_parse_errors_point_at_the_culprit(tmp_path: Path) -> None:
    cases = {
        # the result type missing: at the end of line 2, not at line 3
        "arrow": ("\n".join([GOOD[0], "  %c = train.add %a, %b : (tensor<4xf32>, tensor<4xf32>)",
                             "  // a comment line", *GOOD[2:]]) + "\n", "arrow.mlir:2:57: error: Expected '->'"),
        # the closing brace missing: at the brace that is never closed, not past the end
        "brace": ("\n".join(GOOD[:3]) + "\n", "brace.mlir:1:72: error: the file ends inside the region opened here"),
        # an op cut short at the end of the file: after its last token
        "cut": ("\n".join([*GOOD[:2], "  func.return %c :"]), "cut.mlir:3:19: error: unexpected end of file after this"),
    }
    for name, (text, where) in cases.items():
        path = tmp_path / f"{name}.mlir"
        path.write_text(text)
        err = fails(tool("tdopt", path), where)
        assert err.splitlines()[1] in text.splitlines()  # the culprit line is shown


def test_too_large_lora_rank_says_the_largest_per_layer() -> None:
    block = ROOT / "examples" / "cct_block"
    subprocess.run([sys.executable, block / "make_inputs.py"], check=True, env=ENV, capture_output=True)
    # the block's adapted layers are 8 -> 8, 8 -> 16 and 16 -> 8: min(in, out) - 1 = 7
    err = fails(tool("tdopt", block / "encoder_block.mlir", "--lora=8"), "rank 8 is too large",
                "@attn.q (8 -> 8): 7", "@mlp.fc1.w (8 -> 16): 7", "use a rank of at most 7")
    assert "no linear layer" not in err
    assert tool("tdopt", block / "encoder_block.mlir", "--lora=7").returncode == 0


def test_stdout_output_keeps_its_weights_readable_from_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    write_model(folder)
    # tdopt DIR/m.mlir > DIR/out.mlir, from the parent folder: the weights
    # path was relative to the current folder and read as DIR/DIR/w.npz
    p = tool("tdopt", "run/m.mlir", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    (folder / "out.mlir").write_text(p.stdout)
    ok = tool("tdrun", "run/out.mlir", "--reference", "--inputs", "run/in.npz", cwd=tmp_path)
    assert ok.returncode == 0 and "run/run" not in ok.stderr, ok.stderr
    (folder / "w.npz").unlink()
    err = fails(tool("tdrun", "run/m.mlir", "--reference", cwd=tmp_path),
                f"weights file not found: {folder}/w.npz", 'train.weights = "w.npz"',
                f"relative to the module's folder {folder}")
    assert "run/run" not in err
