"""Execute unallocated rv32imf `riscv` + `riscv_scf` IR on a flat memory.

A scalar reference for the loop-level riscv passes (strength reduction):
integer registers wrap to 32 bits, float registers are float32, loads and
stores go to a little-endian byte array at absolute addresses. Runs a
`riscv_func.func` with `riscv_scf.for` loops (the `blt` semantics of their
lowering: iterate while the signed counter is below the bound). A loop body
that starts with a CORE-V hardware loop set-up (`rvx.hwloop_setup`) repeats
in "hardware" as the core does: the ops after the set-up run `count` times,
each repetition seeing the previous one's yielded values in the loop-carried
arguments (their shared registers).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import riscv, riscv_func, riscv_scf, rv32
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, SSAValue

from tdopt.dialects.cluster import UnrollOp
from tdopt.dialects.rvx import HardwareLoopSetupOp

F32 = np.float32


def _wrap(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


_INT = {
    riscv.AddOp: lambda a, b: a + b,
    riscv.SubOp: lambda a, b: a - b,
    riscv.MulOp: lambda a, b: a * b,
    riscv.DivuOp: lambda a, b: (a & 0xFFFFFFFF) // (b & 0xFFFFFFFF),
    riscv.MVOp: lambda a: a,
}
_INT_IMM = {
    riscv.AddiOp: lambda a, k: a + k,
    rv32.SlliOp: lambda a, k: a << k,
    rv32.SraiOp: lambda a, k: a >> k,
}
_FLOAT = {
    riscv.FAddSOp: lambda a, b: F32(a + b),
    riscv.FSubSOp: lambda a, b: F32(a - b),
    riscv.FMulSOp: lambda a, b: F32(a * b),
    riscv.FMVOp: lambda a: a,
    riscv.FMAddSOp: lambda a, b, c: F32(np.float64(a) * np.float64(b) + np.float64(c)),
}
_BITS = {
    riscv.FMvWXOp: lambda a: np.array([a], np.int32).view(F32)[0],
    riscv.FMvXWOp: lambda a: int(np.array([a], F32).view(np.int32)[0]),
}


class Memory:
    """`size` bytes at addresses `base` .. `base + size`."""

    def __init__(self, base: int, size: int):
        self.base = base
        self.data = np.zeros(size, np.uint8)
        self.accesses = 0

    def _slice(self, address: int) -> slice:
        offset = (address & 0xFFFFFFFF) - self.base
        assert 0 <= offset <= len(self.data) - 4 and offset % 4 == 0, hex(address)
        self.accesses += 1
        return slice(offset, offset + 4)

    def load(self, address: int, dtype) -> object:
        return self.data[self._slice(address)].view(dtype)[0]

    def store(self, address: int, value, dtype) -> None:
        self.data[self._slice(address)] = np.array([value], dtype).view(np.uint8)


def run(function: riscv_func.FuncOp, memory: Memory, *args: int) -> None:
    env: dict[SSAValue, object] = dict(zip(function.body.block.args, args))
    _block(function.body.block, env, memory)


def _imm(op) -> int:
    imm = op.immediate
    assert isinstance(imm, IntegerAttr), op
    return imm.value.data


def _block(block: Block, env: dict[SSAValue, object], memory: Memory) -> list[object] | None:
    return _block_ops(list(block.ops), env, memory)


def _block_ops(ops, env: dict[SSAValue, object], memory: Memory) -> list[object] | None:
    for op in ops:
        match op:
            case riscv_func.ReturnOp():
                return None
            case riscv_scf.YieldOp():
                return [env[v] for v in op.operands]
            case rv32.LiOp():
                outs = [_wrap(_imm(op))]
            case rv32.GetRegisterOp():
                assert op.res.type == riscv.Registers.ZERO, op
                outs = [0]
            case riscv.ParallelMovOp():
                outs = [env[v] for v in op.inputs]
            case riscv.FLwOp():
                outs = [memory.load(env[op.rs1] + _imm(op), F32)]
            case riscv.LwOp():
                outs = [int(memory.load(env[op.rs1] + _imm(op), np.int32))]
            case riscv.FSwOp():
                memory.store(env[op.rs1] + _imm(op), env[op.rs2], F32)
                outs = []
            case riscv.SwOp():
                memory.store(env[op.rs1] + _imm(op), env[op.rs2], np.int32)
                outs = []
            case riscv_scf.ForOp():
                outs = _loop(op, env, memory)
            case riscv.LabelOp() | UnrollOp():
                # (cluster.unroll: a hint for riscv-scf-unroll, no effect)
                outs = []
            case HardwareLoopSetupOp():
                raise AssertionError("a hardware loop set-up outside a loop body's start")
            case _ if type(op) in _INT_IMM:
                outs = [_wrap(_INT_IMM[type(op)](env[op.rs1], _imm(op)))]
            case _ if type(op) in _INT:
                outs = [_wrap(_INT[type(op)](*(env[v] for v in op.operands)))]
            case _ if type(op) in _BITS:
                outs = [_BITS[type(op)](env[op.rs])]
            case _ if type(op) in _FLOAT:
                outs = [_FLOAT[type(op)](*(env[v] for v in op.operands))]
            case _:
                raise NotImplementedError(f"scf_eval: no semantics for {op.name}")
        for result, out in zip(op.results, outs, strict=True):
            env[result] = out
    raise ValueError("block without terminator")


def _loop(op: riscv_scf.ForOp, env: dict[SSAValue, object], memory: Memory) -> list[object]:
    if op.step_val is not None:
        step = env[op.step_val]
    else:
        step = op.step_attr.value.data
    iv, stop = env[op.start], env[op.stop]
    carried = [env[v] for v in op.iter_args]
    body = op.body.block
    while iv < stop:
        env[body.args[0]] = iv
        for arg, value in zip(body.args[1:], carried):
            env[arg] = value
        carried = _hardware_loop(body, env, memory) if _setup(body) else _block(body, env, memory)
        assert carried is not None
        iv = _wrap(iv + step)
    return carried


def _setup(body: Block):
    ops = list(body.ops)
    if len(ops) > 1 and isinstance(ops[0], riscv.LabelOp) and isinstance(ops[1], HardwareLoopSetupOp):
        return ops[1]
    return None


def _hardware_loop(body: Block, env: dict[SSAValue, object], memory: Memory) -> list[object]:
    """The body of a loop that starts with `cv.setup`: the rest runs `count`
    times (count >= 1: the set-up of a count of 0 is never reached), the
    values yielded by one repetition written back into the loop-carried
    arguments (their registers) for the next; the end label sits just
    before the yield."""
    setup = _setup(body)
    count = env[setup.operands[0]]
    assert count >= 1, "cv.setup with a count below 1"
    ops = list(body.ops)[2:]
    assert isinstance(ops[-2], riscv.LabelOp) and ops[-2].label.data == setup.end.data
    assert not any(o.regions for o in ops)
    carried_args = body.args[1:]
    result: list[object] | None = None
    for _ in range(count):
        result = _ops(ops, env, memory)
        for arg, value in zip(carried_args, result):
            env[arg] = value
    assert result is not None
    return result


def _ops(ops, env, memory) -> list[object]:
    result = _block_ops(ops, env, memory)
    assert result is not None
    return result
