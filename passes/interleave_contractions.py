"""`interleave-contractions`: register blocking of contractions. A register
model (`registers_needed`, `pointers_needed`) ranks the candidate blocks;
a block need not divide its loop: the generic is then split in two, the
largest multiple of the block, blocked, and the remaining iterations (a
`remainder`, its map offset past the first part) blocked by what is left,
so a 6x4 block serves a 64-wide loop (60 + 4);
a candidate the model cannot vouch for is tried through the rest of the
pipeline to register allocation (`trial_choice`), so the block taken is one
whose kernel allocates (the allocator never spills), else none. It works on
the memref_stream generics `convert-reductions-to-memref-stream` made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from xdsl.context import Context
from xdsl.builder import ImplicitBuilder
from xdsl.backend.register_stack import OutOfRegisters
from xdsl.dialects import func, memref_stream, riscv_func
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr, IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr
from xdsl.passes import ModulePass, PassPipeline
from xdsl.rewriter import Rewriter
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from tdopt.backend.riscv_allocation import allocate_with_remat, is_allocated
from tdopt.analyses.affine_access import dims_used
from tdopt.target import CLUSTER
from tdopt.dialects.cluster import EpilogueOp, parallel_of


MAX_INTERLEAVED_LOOPS = 5


def worth_interleaving(op: memref_stream.GenericOp) -> bool:
    """Register blocking is applied to plain contractions only: one output
    indexed by distinct loop dimensions (matmul, conv). xDSL's interleaving
    gave wrong results on outputs with pinned (keepdims) dimensions."""
    if len(op.outputs) != 1:
        return False
    # deeper nests (a convolution: 6 loops) keep too many addresses live for
    # the integer registers once interleaved (the allocator never spills);
    # 5 takes a depthwise convolution at batch 1 (channel, oh, ow, i, j):
    # every op, grad op and step case and the MLPerf Tiny rows still allocate
    if len(op.iterator_types) > MAX_INTERLEAVED_LOOPS:
        return False
    n_in = len(op.inputs)
    out_map = op.indexing_maps.data[n_in].data
    dims = [e for e in out_map.results if isinstance(e, AffineDimExpr)]
    return len(dims) == len(out_map.results) and len({e.position for e in dims}) == len(dims)


# float registers tdopt's allocator may use (backend.riscv_allocation.ALLOCATABLE:
# ft0-ft11, fa0-fa7, fs0-fs11; it never spills), less a margin for values
# the estimate below does not see (loop-invariant operands of the body)
FLOAT_REGISTERS = 32 - 2

# A blocking: up to two parallel loops, each (loop index, factor), outer
# first. The copies of the body run the last loop's offsets fastest.
Blocking = tuple[tuple[int, int], ...]


def _used_blocked(op: memref_stream.GenericOp, operand: int, blocking: Blocking) -> set[int]:
    used = dims_used(op.indexing_maps.data[operand].data.results)
    return {dim for dim, _ in blocking if dim in used}


def registers_needed(op: memref_stream.GenericOp, blocking: Blocking) -> int:
    """Float registers the inner loop of `op` blocked by `blocking` keeps live
    at once: an accumulator per copy, output and reduction loop around the
    body, a value per copy for every
    body op beyond the multiply-accumulate (the loop lowering runs each body
    op for all copies before the next), and per input: one value if it
    depends on no blocked loop (shared after cse), two if it differs in every
    copy or only along the outer loop (riscv-allocate-registers-full sinks
    each load next to its first use, `backend.riscv_allocation.schedule_loads`), and
    all of its values if it varies along the inner loop only (each is used
    again in every row of the block)."""
    copies = _copies(blocking)
    n_in = len(op.inputs)
    outputs = len(op.outputs)
    compute = sum(1 for o in op.body.block.ops if not isinstance(o, memref_stream.YieldOp))
    extra = max(0, compute - 2 * outputs)
    inputs = 0
    for k in range(n_in):
        used = _used_blocked(op, k, blocking)
        if not used:
            inputs += 1
        elif len(blocking) == 2 and used == {blocking[1][0]}:
            inputs += blocking[1][1]
        else:
            inputs += min(copies, 2)
    # nested reduction loops each carry the accumulators (the allocator
    # gives a loop's results and its iter_args their own registers)
    reductions = sum(1 for k in op.iterator_types if k == memref_stream.IteratorTypeAttr.reduction())
    return copies * (outputs * max(1, reductions) + extra) + inputs + expansion_registers(op)


# live values of an expanded math op at its peak, besides its constants and
# its result (the polynomial in Horner form, the reduced argument, the scale)
EXPANSION_TEMPORARIES = 3


def expansion_registers(op: memref_stream.GenericOp) -> int:
    """Float registers the math ops of the body take once expanded by
    `expand-math-rv32f`: their constants, hoisted out of the loop and shared
    by every copy (a `math.exp`: 13), and a few temporaries (the copies'
    expansions run one after another)."""
    kinds = {o.name for o in op.body.block.ops if o.name.startswith("math.")}
    if not kinds:
        return 0
    constants = set().union(*(_expansion_constants(k) for k in kinds))
    return len(constants) + EXPANSION_TEMPORARIES


@cache
def _expansion_constants(name: str) -> frozenset[str]:
    """The distinct f32 constants `expand-math-rv32f` makes for one `name`
    op (math.exp, ...): counted on an expanded one-op function."""
    from xdsl.dialects import arith
    from xdsl.dialects import math as math_dialect
    from xdsl.dialects.builtin import FunctionType, f32

    from tdopt.lowering.expand_math_rv32f import ExpandMathRv32fPass

    body = Block(arg_types=[f32])
    op_class = next(c for c in math_dialect.Math.operations if c.name == name)
    result = op_class.create(operands=[body.args[0]], result_types=[f32])
    body.add_ops([result, func.ReturnOp(result)])
    module = ModuleOp([func.FuncOp("f", FunctionType.from_lists([f32], [f32]), Region(body))])
    ExpandMathRv32fPass().apply(Context(), module)
    return frozenset(
        str(o.value) for o in module.walk() if isinstance(o, arith.ConstantOp) and o.result.type == f32
    )


def loads_per_step(op: memref_stream.GenericOp, blocking: Blocking) -> int:
    """Distinct input values one step of the blocked inner loop loads."""
    factor = dict(blocking)
    total = 0
    for k in range(len(op.inputs)):
        n = 1
        for dim in _used_blocked(op, k, blocking):
            n *= factor[dim]
        total += n
    return total


# pointers the blocked inner loop may step (integer registers: the
# allocator never spills; the loops around it keep their own counters,
# bounds and pointers)
MAX_POINTERS = 8
# a load reaches +-2 KiB around its pointer (12-bit immediate)
IMMEDIATE_REACH = 2048


def pointers_needed(op: memref_stream.GenericOp, blocking: Blocking) -> int:
    """Pointers the inner loop of `op` blocked by `blocking` steps: per
    input, its copies' addresses grouped so that each group is within one
    load immediate of its first (riscv-scf-strength-reduce shares a pointer
    among addresses at constant offsets only within that reach)."""
    total = 0
    for k, operand in enumerate(op.inputs):
        t = operand.type
        if not isinstance(t, MemRefType):
            continue
        strides = t.get_strides()
        assert strides is not None and None not in strides  # kernels take static buffers
        elem = t.element_type.bitwidth // 8  # type: ignore[attr-defined]
        amap = op.indexing_maps.data[k].data
        n_dims = amap.num_dims
        offsets = set()
        for combo in _copy_points(blocking):
            point = [0] * n_dims
            for dim, value in combo:
                point[dim] = value
            index = amap.eval(point, [])
            offsets.add(sum(i * st for i, st in zip(index, strides)) * elem)
        groups = 0
        start = None
        for off in sorted(offsets):
            if start is None or off - start >= IMMEDIATE_REACH:
                groups += 1
                start = off
        total += groups
    return total


def _copy_points(blocking: Blocking) -> list[list[tuple[int, int]]]:
    """Every copy of a blocked body as (loop, offset within the block)."""
    points: list[list[tuple[int, int]]] = [[]]
    for dim, f in blocking:
        points = [p + [(dim, v)] for p in points for v in range(f)]
    return points


def _copies(blocking: Blocking) -> int:
    return math.prod(f for _, f in blocking)


def _divisors(n: int) -> list[int]:
    return [f for f in range(1, n + 1) if n % f == 0]


# a blocking with a remainder (twice the code, another loop nest) is taken
# only when it issues at least 2 % fewer instructions per copy than the
# best one without
REMAINDER_GAIN = Fraction(51, 50)


def remainder(op: memref_stream.GenericOp, blocking: Blocking) -> tuple[int, int] | None:
    """(loop, iterations left over) when a factor of `blocking` does not
    divide its loop's bound (at most one does); None when all divide."""
    bounds = [b.value.data for b in op.bounds.data]
    left = [(dim, bounds[dim] % f) for dim, f in blocking if bounds[dim] % f]
    assert len(left) <= 1, "a blocking leaves a remainder in one loop at most"
    return left[0] if left else None


def remainder_blocking(blocking: Blocking, dim: int, left: int) -> Blocking:
    """The blocking of the remainder of loop `dim` (`left` iterations): the
    same block with that loop's factor cut to `left` (dropped at 1)."""
    return tuple((d, left if d == dim else f) for d, f in blocking if d != dim or left > 1)


def _step_cost(op: memref_stream.GenericOp, blocking: Blocking) -> Fraction:
    """Instructions per copy of the body in the blocked inner loop: the
    multiply-accumulate and its share of the loads."""
    return Fraction(_copies(blocking) + loads_per_step(op, blocking), _copies(blocking))


def instructions_per_copy(op: memref_stream.GenericOp, blocking: Blocking) -> Fraction:
    """`_step_cost` averaged over the iterations: with a remainder, the
    blocked part and the remainder's smaller block each by their share."""
    left = remainder(op, blocking)
    if left is None:
        return _step_cost(op, blocking)
    dim, r = left
    n = op.bounds.data[dim].value.data
    tail = remainder_blocking(blocking, dim, r)
    return Fraction(n - r, n) * _step_cost(op, blocking) + Fraction(r, n) * _step_cost(op, tail)


def blocking_candidates(
    op: memref_stream.GenericOp, pipeline_depth: int, keep_trips: dict[int, int] | None = None
) -> list[Blocking]:
    """The register blockings of a contraction, best first: one or two
    parallel loops unrolled and jammed into the innermost loop, the copies
    of the body (fewer than twice the pipeline depth, as xDSL's heuristic)
    fitting the float registers by `registers_needed`, ranked by the fewest
    instructions per multiply-accumulate (`instructions_per_copy`: a 4x4
    block of a matmul issues 16 per 8 loads, a 6x4 one 24 per 10; a row of
    16, 16 per 17; a blocking with a remainder must do 2 % better than one
    without, `REMAINDER_GAIN`), then without a remainder, then the most
    copies.
    A factor need not divide its loop (one loop at most; the remainder is
    blocked by what is left) unless the loop is the one the cluster splits
    over its cores: `keep_trips[d]`, loop d keeps at least that many
    iterations and its factor divides it."""
    kinds = op.iterator_types.data
    bounds = [b.value.data for b in op.bounds.data]
    parallel = [i for i, k in enumerate(kinds) if k == memref_stream.IteratorTypeAttr.parallel()]
    keep = keep_trips or {}
    most = 2 * pipeline_depth - 1

    def factors(dim: int) -> list[int]:
        if dim in keep:
            return [f for f in _divisors(bounds[dim]) if bounds[dim] // f >= min(keep[dim], bounds[dim])]
        return list(range(1, min(bounds[dim], most) + 1))

    def remainders(b: Blocking) -> int:
        # how many of its factors leave a remainder (one is allowed)
        return sum(1 for dim, f in b if bounds[dim] % f)

    options: list[Blocking] = []
    for inner in parallel:
        options += [((inner, f),) for f in factors(inner) if f > 1]
        for outer in parallel:
            if outer == inner:
                continue
            options += [
                ((outer, fo), (inner, fi))
                for fo in factors(outer)
                for fi in factors(inner)
                if fo > 1 and fi > 1 and fo * fi <= most
            ]
    fitting = [
        b
        for b in options
        if _copies(b) < 2 * pipeline_depth
        and remainders(b) <= 1
        and registers_needed(op, b) <= FLOAT_REGISTERS
        and pointers_needed(op, b) <= MAX_POINTERS
    ]
    # ties: no remainder, more copies, the inner loops first (contiguous
    # outputs, as xDSL's choice; a stable sort keeps that order)
    by_loops = sorted(fitting, key=lambda b: [dim for dim, _ in reversed(b)], reverse=True)
    return sorted(
        by_loops,
        key=lambda b: (
            instructions_per_copy(op, b) * (REMAINDER_GAIN if remainders(b) else 1),
            remainders(b),
            -_copies(b),
        ),
    )


def interleave_choice(
    op: memref_stream.GenericOp, pipeline_depth: int, keep_trips: dict[int, int] | None = None
) -> Blocking | None:
    """The best blocking by the register model (`blocking_candidates`), not
    tried; None when no blocking fits."""
    candidates = blocking_candidates(op, pipeline_depth, keep_trips)
    return candidates[0] if candidates else None


def block_generic(
    op: memref_stream.GenericOp, blocking: Blocking, part: tuple[list[int], list[AffineMapAttr]] | None = None
) -> memref_stream.GenericOp:
    """`op` with the loops of `blocking` split into (outer, copy) parts: the
    outer parts stay where the loops were, the copies form one new
    interleaved loop (the body replicated per copy), offset d * f +
    (copy floordiv stride) mod f into each blocked loop (xDSL's
    `memref-stream-interleave` for one loop; this one also takes two).
    `part`: the bounds and maps of the part of `op` to block (`_part`),
    else its own."""
    copies = _copies(blocking)
    old_block = op.body.block
    region = Region(Block(arg_types=[a.type for a in old_block.args for _ in range(copies)]))
    with ImplicitBuilder(region) as args:
        value_maps: list[dict[SSAValue, SSAValue]] = [{} for _ in range(copies)]
        for k, arg in enumerate(args):
            old = old_block.args[k // copies]
            value_maps[k % copies][old] = arg
            arg.name_hint = old.name_hint
        for body_op in old_block.ops:
            if isinstance(body_op, memref_stream.YieldOp):
                memref_stream.YieldOp(*[vm[a] for vm in value_maps for a in body_op.arguments])
            else:
                for vm in value_maps:
                    body_op.clone(value_mapper=vm)

    bounds, maps = part if part is not None else ([b.value.data for b in op.bounds.data], list(op.indexing_maps))
    bounds = list(bounds)
    stride = copies
    offsets: dict[int, tuple[int, int]] = {}
    for dim, f in blocking:
        stride //= f
        offsets[dim] = (f, stride)
        bounds[dim] //= f
    bounds.append(copies)

    def new_map(m: AffineMapAttr) -> AffineMapAttr:
        amap = m.data
        copy = AffineExpr.dimension(amap.num_dims)
        dims = []
        for i in range(amap.num_dims):
            d = AffineExpr.dimension(i)
            if i in offsets:
                f, stride = offsets[i]
                part = copy if stride == 1 else copy // stride
                d = d * f + (part if f * stride == copies else part % f)
            dims.append(d)
        return AffineMapAttr(amap.replace_dims_and_symbols(dims, [], amap.num_dims + 1, 0))

    return memref_stream.GenericOp(
        op.inputs,
        op.outputs,
        op.inits,
        region,
        ArrayAttr([new_map(m) for m in maps]),
        ArrayAttr([*op.iterator_types.data, memref_stream.IteratorTypeAttr.interleaved()]),
        ArrayAttr([IntegerAttr.from_index_int_value(b) for b in bounds]),
        op.init_indices,
        op.doc,
        op.library_call,
    )


def _part(
    op: memref_stream.GenericOp, dim: int, count: int, start: int
) -> tuple[list[int], list[AffineMapAttr]]:
    """The bounds and maps of `op` over iterations start..start+count of loop
    `dim` only: its bound cut to `count`, its maps reading loop `dim` offset
    by `start`."""
    bounds = [b.value.data for b in op.bounds.data]
    bounds[dim] = count

    def shifted(m: AffineMapAttr) -> AffineMapAttr:
        amap = m.data
        if start == 0 or dim >= amap.num_dims:
            return m
        dims = [AffineExpr.dimension(i) + start if i == dim else AffineExpr.dimension(i)
                for i in range(amap.num_dims)]
        return AffineMapAttr(amap.replace_dims_and_symbols(dims, [], amap.num_dims, 0))

    return bounds, [shifted(m) for m in op.indexing_maps]


def blocked_generics(op: memref_stream.GenericOp, blocking: Blocking) -> list[memref_stream.GenericOp]:
    """What `op` blocked by `blocking` becomes: one blocked generic, or with
    a remainder two, the multiple of the block and the rest (blocked by
    `remainder_blocking`), each writing its own part of the outputs."""
    left = remainder(op, blocking)
    if left is None:
        return [block_generic(op, blocking)]
    dim, r = left
    n = op.bounds.data[dim].value.data
    head = block_generic(op, blocking, _part(op, dim, n - r, 0))
    tail_bounds, tail_maps = tail = _part(op, dim, r, n - r)
    tail_blocking = remainder_blocking(blocking, dim, r)
    if tail_blocking:
        return [head, block_generic(op, tail_blocking, tail)]
    # one iteration of the blocked loop left: the rest unblocked
    return [head, memref_stream.GenericOp(
        op.inputs,
        op.outputs,
        op.inits,
        op.body.clone(),
        ArrayAttr(tail_maps),
        op.iterator_types,
        ArrayAttr([IntegerAttr.from_index_int_value(b) for b in tail_bounds]),
        op.init_indices,
        op.doc,
        op.library_call,
    )]


def _parallel_mark(op: Operation) -> dict[int, int]:
    """The loop the cluster will split (`cluster-mark-parallel`) keeps at
    least one iteration per core."""
    f = op.parent_op()
    while f is not None and not isinstance(f, func.FuncOp):
        f = f.parent_op()
    found = parallel_of(f) if f is not None else None
    if found is None:
        return {}
    depth, trips = found
    return {depth: min(trips, CLUSTER.cores)}


def _enclosing_func(op: Operation) -> func.FuncOp | None:
    f = op.parent_op()
    while f is not None and not isinstance(f, func.FuncOp):
        f = f.parent_op()
    return f


@cache
def _trial_pipeline(passes: tuple[str, ...]) -> PassPipeline:
    """The passes a pipeline runs between register blocking and register
    allocation (the pass's `until_allocation`), which a trial runs."""
    from xdsl.universe import Universe

    return PassPipeline.parse_spec(Universe.get_multiverse().all_passes, ",".join(passes))


ALLOCATION_PASS = "riscv-allocate-registers-full"


def allocates(ctx: Context, kernel: func.FuncOp, op: memref_stream.GenericOp, blocking: Blocking,
              until_allocation: tuple[str, ...]) -> bool:
    """Whether `kernel`, with its contraction `op` blocked by `blocking`,
    gets registers: a copy of the kernel alone runs the rest of the
    standard pipeline to register allocation (`riscv-allocate-registers-
    full`, which never spills). The register model (`registers_needed`)
    ranks the candidates; this decides, since what the later passes make
    of the body (an expanded `math.exp` and its constants, hoisted
    invariants, pointers, the core split) is not in the model."""
    index = next(i for i, o in enumerate(kernel.walk()) if o is op)
    copy = kernel.clone()
    twin = next(o for i, o in enumerate(copy.walk()) if i == index)
    assert isinstance(twin, memref_stream.GenericOp)
    Rewriter.replace_op(twin, blocked_generics(twin, blocking), new_results=[])
    module = ModuleOp([copy])
    _trial_pipeline(until_allocation).apply(ctx, module)
    try:
        for f in module.walk():
            # (strength reduction{allocate} may have kept its allocation)
            if isinstance(f, riscv_func.FuncOp) and f.body.blocks and not is_allocated(f):
                allocate_with_remat(f, hwloops=True)
    except OutOfRegisters:
        return False
    return True


def trial_choice(
    ctx: Context, op: memref_stream.GenericOp, pipeline_depth: int, until_allocation: tuple[str, ...],
    keep_trips: dict[int, int] | None = None,
) -> Blocking | None:
    """The first of `blocking_candidates` whose kernel allocates, trying
    the best first and, after a failure, only smaller blocks (fewer copies
    need fewer registers); None (no blocking) when none does. Most kernels
    take their first candidate: one trial each."""
    kernel = _enclosing_func(op)
    candidates = blocking_candidates(op, pipeline_depth, keep_trips)
    if kernel is None:
        return candidates[0] if candidates else None
    # the register model does not see an epilogue's values (computed where
    # the accumulators are stored) nor its buffers' pointers: such kernels
    # are always tried (0.1-1 s each)
    epilogue = any(isinstance(o, EpilogueOp) for o in kernel.walk())
    limit = math.inf
    for b in candidates:
        if _copies(b) >= limit:
            continue
        if (not epilogue and model_vouches(op, b)) or allocates(ctx, kernel, op, b, until_allocation):
            return b
        limit = _copies(b)
    return None


# body ops the register model counts exactly (one register per copy, no
# constants, no expansion): plain multiply-add, min/max and add bodies
EXACT_BODY_OPS = {"arith.mulf", "arith.addf", "arith.subf", "arith.maximumf", "arith.minimumf"}
# float registers the model's estimate must leave free to skip the trial:
# in the tdbench models (CCT2 both blocks, ResNet-8, DS-CNN, MobileNet,
# Deep-AE) every one of 40 candidates the model puts at 27 allocated, while
# 2 of 15 at 28 did not (session 6, an allocator that still kept the
# argument registers out of the body)
TRIAL_MARGIN = 3
# a matmul's or convolution's body, one multiply and one add per copy:
# vouched for up to FLOAT_REGISTERS (whose own margin of 2 covers it). All
# 218 such candidates at 27-30 registers of the tdbench models (CCT2 both
# blocks and LoRA-last, ResNet-8, MobileNetV1, Deep-AE at batch 32; a
# fifth of them with two nested reduction loops) allocated when tried
# (session 12); trying them cost ResNet-8's compile 6 s of 24.
CONTRACTION_BODY = {"arith.mulf", "arith.addf"}


def model_vouches(op: memref_stream.GenericOp, blocking: Blocking) -> bool:
    """Whether `blocking` fits by the register model alone: a body of ops it
    counts exactly, with a margin of float registers (none beyond
    FLOAT_REGISTERS' own for a multiply-add) and pointers to spare (the
    model was checked against the allocator on every such kernel of the
    tests and benchmarks). A trial (`allocates`) costs about half a second
    of compile time per large blocked kernel, so only the others take it:
    bodies with expanded math (a `math.exp` becomes ~30 ops and a dozen
    hoisted constants), selects or divisions, and blocks near the limit."""
    body = {o.name for o in op.body.block.ops if not isinstance(o, memref_stream.YieldOp)}
    margin = 0 if body == CONTRACTION_BODY else TRIAL_MARGIN
    return (
        body <= EXACT_BODY_OPS
        and registers_needed(op, blocking) <= FLOAT_REGISTERS - margin
        and pointers_needed(op, blocking) < MAX_POINTERS
    )


@dataclass(frozen=True)
class InterleaveContractionPattern(RewritePattern):
    pipeline_depth: int
    ctx: Context | None = None
    until_allocation: tuple[str, ...] = ()

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref_stream.GenericOp, rewriter: PatternRewriter) -> None:
        if memref_stream.IteratorTypeAttr.interleaved() in op.iterator_types:
            return
        if memref_stream.IteratorTypeAttr.reduction() not in op.iterator_types:
            return
        if not worth_interleaving(op):
            return
        keep = _parallel_mark(op)
        if self.ctx is None:
            choice = interleave_choice(op, self.pipeline_depth, keep)
        else:
            choice = trial_choice(self.ctx, op, self.pipeline_depth, self.until_allocation, keep)
        if choice is None:
            return
        rewriter.replace(op, blocked_generics(op, choice), [])


@dataclass(frozen=True)
class InterleaveContractionsPass(ModulePass):
    """xDSL's `memref-stream-interleave`, restricted to plain contractions,
    with the best blocking whose kernel gets registers (see `trial_choice`):
    a candidate is tried through `until_allocation`, the passes the pipeline
    runs between this pass and register allocation (the standard pipeline
    names them; empty, or `trial=false`: the register model's best,
    untried)."""

    name = "interleave-contractions"

    pipeline_depth: int = 4
    trial: bool = True
    until_allocation: tuple[str, ...] = ()

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        tried = self.trial and bool(self.until_allocation)
        pattern = InterleaveContractionPattern(
            self.pipeline_depth, ctx if tried else None, self.until_allocation
        )
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
