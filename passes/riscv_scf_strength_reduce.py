"""Strength reduction of address arithmetic in `riscv_scf.for` loops.

xDSL's `convert-memref-to-riscv` recomputes every address from the indices
(`mul` by each stride, `add`, `mul` by the element size, `add` the base), so
a matmul's inner loop spends ten integer instructions on two loads. Every
address in these kernels is affine in the loop induction variables, so this
pass (`riscv-scf-strength-reduce`) rewrites, per loop and innermost first:

* each address that is `invariant + k * iv` into a pointer carried by the
  loop (an extra iter_arg initialised before the loop and advanced by the
  constant byte stride `k * step`); addresses that differ only by a constant
  share one pointer and keep the difference in the load/store immediate,
  also when they are built from different loop-invariant values that differ
  by a constant (a register-blocked contraction computes its columns
  `j*4 + 0 .. j*4 + 3` before the inner loop: their loop-invariant parts are
  compared through the arithmetic that computes them);
* address parts that do not depend on the loop are computed before it
  (xDSL's `licm` does not move riscv ops);
* when the induction variable is then used by nothing but the loop itself,
  the loop iterates over its first pointer directly (no separate counter).

Besides load/store addresses, the bounds of nested loops, the integer
initial values of their iter_args (the pointers of an inner loop already
reduced) and integers a nested loop uses are reduced the same way, so the
pointers of a nest are stepped rather than recomputed.

It works on riscv + riscv_scf, right after `convert-memref-to-riscv`,
`convert-scf-to-riscv-scf` and cse (placed before
`riscv-scf-loop-range-folding` in TO_RISCV): only there can a load take a
plain pointer; at the memref level every access would still be lowered to
`base + index * 4`.

Every new pointer occupies a register for the whole loop, and tdopt's
allocator never spills, so each function is first reduced on a copy, run
through the passes the pipeline runs before allocation (the option `then`,
named by the standard pipeline) and allocated as `riscv-allocate-registers-
full` allocates (`backend/riscv_allocation.py`, hardware loops on): the
innermost `levels` loops of every nest if that fits, else fewer (a
convolution has eight loops), else none. Constants rematerialised next to
their uses (tdopt's fallback when registers run out) only count as fitting
when the untouched function needs them as well. The copy that allocates is
the pass's result, already through `then`: the pass's output is the input
of register allocation, or (option `allocate`, the standard pipeline) its
output, the trial's allocation kept (`riscv-allocate-registers-full` then
leaves the function as it is).

Pointers compare with the signed `blt` of riscv_scf.for when a loop is
folded onto one: fine for the cluster's L1/L2 addresses (below 2^31).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xdsl.backend.register_stack import OutOfRegisters
from xdsl.builder import Builder, InsertPoint
from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func, riscv_scf, rv32
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, i32
from xdsl.ir import BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalization_patterns.riscv import get_constant_value

from tdopt.analyses.riscv_immediates import MEMORY, fits_si12
from tdopt.backend.riscv_allocation import allocate_with_remat

# Ops whose result is a linear function of their operands and that have no
# side effects: the only ones the analysis looks through (and may delete).
_ARITH = (riscv.AddOp, riscv.SubOp, riscv.AddiOp, riscv.MulOp, rv32.SlliOp, riscv.MVOp, rv32.LiOp)


_ADVANCE = "advance pointer"


def _wrap32(value: int) -> int:
    """Two's-complement 32-bit value, as the hardware computes it."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


@dataclass
class Affine:
    """`sum(coeff * atom) + const`: atoms are values defined outside the loop
    (or the loop's induction variable), coefficients and constant integers."""

    terms: dict[SSAValue, int]
    const: int

    def scaled(self, k: int) -> Affine:
        return Affine({v: c * k for v, c in self.terms.items() if c * k}, self.const * k)

    def plus(self, other: Affine, sign: int = 1) -> Affine:
        terms = dict(self.terms)
        for v, c in other.terms.items():
            terms[v] = terms.get(v, 0) + sign * c
        return Affine({v: c for v, c in terms.items() if c}, self.const + sign * other.const)


def _inside(value: SSAValue, loop: Operation) -> bool:
    """Whether `value` is defined in the body of `loop` (at any depth)."""
    if isinstance(value, OpResult):
        return loop.is_ancestor(value.op)
    assert isinstance(value, BlockArgument)
    parent = value.block.parent_op()
    return parent is not None and (parent is loop or loop.is_ancestor(parent))


def _affine(value: SSAValue, loop: riscv_scf.ForOp, memo: dict[SSAValue, Affine | None]) -> Affine | None:
    """The affine form of `value` over the loop's induction variable and
    values defined outside the loop, or None if it is not affine (or depends
    on something computed in the loop other than arithmetic)."""
    if value in memo:
        return memo[value]
    result: Affine | None = None
    iv = loop.body.block.args[0]
    constant = get_constant_value(value)
    if value is iv:
        result = Affine({iv: 1}, 0)
    elif constant is not None:
        result = Affine({}, constant.value.data)
    elif not _inside(value, loop):
        result = Affine({value: 1}, 0)
    elif isinstance(value, OpResult):
        op = value.op
        if isinstance(op, riscv.AddOp | riscv.SubOp):
            a, b = _affine(op.rs1, loop, memo), _affine(op.rs2, loop, memo)
            if a is not None and b is not None:
                result = a.plus(b, 1 if isinstance(op, riscv.AddOp) else -1)
        elif isinstance(op, riscv.AddiOp) and isinstance(op.immediate, IntegerAttr):
            a = _affine(op.rs1, loop, memo)
            if a is not None:
                result = a.plus(Affine({}, op.immediate.value.data))
        elif isinstance(op, rv32.SlliOp) and isinstance(op.immediate, IntegerAttr):
            a = _affine(op.rs1, loop, memo)
            if a is not None:
                result = a.scaled(1 << op.immediate.value.data)
        elif isinstance(op, riscv.MulOp):
            a, b = _affine(op.rs1, loop, memo), _affine(op.rs2, loop, memo)
            if a is not None and b is not None:
                if not a.terms:
                    result = b.scaled(a.const)
                elif not b.terms:
                    result = a.scaled(b.const)
        elif isinstance(op, riscv.MVOp):
            result = _affine(op.rs, loop, memo)
    memo[value] = result
    return result


def _expand(value: SSAValue, memo: dict[SSAValue, Affine]) -> Affine:
    """The affine form of a loop-invariant value over the non-arithmetic
    values (arguments, loads, ...) it is computed from."""
    if value in memo:
        return memo[value]
    result = Affine({value: 1}, 0)
    constant = get_constant_value(value)
    if constant is not None:
        result = Affine({}, constant.value.data)
    elif isinstance(value, OpResult):
        op = value.op
        if isinstance(op, riscv.AddOp | riscv.SubOp):
            a, b = _expand(op.rs1, memo), _expand(op.rs2, memo)
            result = a.plus(b, 1 if isinstance(op, riscv.AddOp) else -1)
        elif isinstance(op, riscv.AddiOp) and isinstance(op.immediate, IntegerAttr):
            result = _expand(op.rs1, memo).plus(Affine({}, op.immediate.value.data))
        elif isinstance(op, rv32.SlliOp) and isinstance(op.immediate, IntegerAttr):
            result = _expand(op.rs1, memo).scaled(1 << op.immediate.value.data)
        elif isinstance(op, riscv.MulOp):
            a, b = _expand(op.rs1, memo), _expand(op.rs2, memo)
            if not a.terms:
                result = b.scaled(a.const)
            elif not b.terms:
                result = a.scaled(b.const)
        elif isinstance(op, riscv.MVOp):
            result = _expand(op.rs, memo)
    memo[value] = result
    return result


def _deep(form: Affine, iv: SSAValue, memo: dict[SSAValue, Affine]) -> Affine:
    """`form` with every atom but the induction variable expanded."""
    result = Affine({}, form.const)
    for atom, k in form.terms.items():
        result = result.plus((Affine({iv: 1}, 0) if atom is iv else _expand(atom, memo)).scaled(k))
    return result


def _emit(builder: Builder, form: Affine) -> SSAValue:
    """Materialise `form` with the builder (all atoms must dominate it)."""
    acc: SSAValue | None = None
    negative: list[SSAValue] = []
    for atom, k in form.terms.items():
        magnitude = abs(k)
        if magnitude == 1:
            term = atom
        elif magnitude & (magnitude - 1) == 0:
            term = builder.insert(rv32.SlliOp(atom, magnitude.bit_length() - 1)).rd
        else:
            factor = builder.insert(rv32.LiOp(_wrap32(magnitude))).rd
            term = builder.insert(riscv.MulOp(atom, factor)).rd
        if k < 0:
            negative.append(term)
        elif acc is None:
            acc = term
        else:
            acc = builder.insert(riscv.AddOp(acc, term)).rd
    if acc is None:
        acc = builder.insert(rv32.LiOp(0)).rd
    for term in negative:
        acc = builder.insert(riscv.SubOp(acc, term)).rd
    const = _wrap32(form.const)
    if const:
        if fits_si12(const):
            acc = builder.insert(riscv.AddiOp(acc, const)).rd
        else:
            acc = builder.insert(riscv.AddOp(acc, builder.insert(rv32.LiOp(const)).rd)).rd
    return acc


def _at(form: Affine, iv: SSAValue, value: SSAValue) -> Affine:
    """`form` with the induction variable replaced by `value` (defined outside)."""
    k = form.terms.get(iv, 0)
    rest = Affine({v: c for v, c in form.terms.items() if v is not iv}, form.const)
    if not k:
        return rest
    constant = get_constant_value(value)
    sub = Affine({}, constant.value.data) if constant is not None else Affine({value: 1}, 0)
    return rest.plus(sub.scaled(k))


@dataclass
class _Root:
    """A use (operand `index` of `op`) of an address-like value in the loop.
    `anchor` is the op directly in the loop body that is or contains `op`:
    any fix-up computation goes before it, never into a deeper loop. A load
    or store directly in the body takes constant offsets as its immediate,
    which its `form` then includes."""

    op: Operation
    index: int
    anchor: Operation
    form: Affine
    # `form` with its loop-invariant atoms expanded through the arithmetic
    # that computes them: roots whose `deep` forms differ by a constant
    # differ by that constant, whatever values their `form`s are built from
    deep: Affine | None = None

    @property
    def absorbs_offset(self) -> bool:
        return self.op is self.anchor and isinstance(self.op, MEMORY)


@dataclass
class _Group:
    """Roots computed from one value: the same atoms and stride, constants
    within a 12-bit immediate of the first root's (the `base`). `deep` is
    the first root's deep form: a root whose deep form differs from it by a
    constant joins the group with its form rewritten over `base`'s atoms
    (so two pointers stepped alike and a constant apart become one)."""

    base: Affine
    roots: list[_Root]
    deep: Affine


def _roots(loop: riscv_scf.ForOp, memo: dict[SSAValue, Affine | None]) -> list[_Root]:
    """Address-like uses: load/store addresses in the body; bounds, integer
    iter_arg initial values and live-in integers of nested loops."""
    body = loop.body.block
    iv = body.args[0]
    expanded: dict[SSAValue, Affine] = {}
    uses: list[tuple[Operation, int, Operation]] = []
    for op in body.ops:
        if isinstance(op, MEMORY) and isinstance(op.immediate, IntegerAttr):
            uses.append((op, 0, op))
        elif isinstance(op, riscv.ParallelMovOp):
            uses.extend((op, i, op) for i, v in enumerate(op.inputs) if isinstance(v.type, riscv.IntRegisterType))
        elif isinstance(op, riscv_scf.ForOp):
            uses.extend(((op, 0, op), (op, 1, op)))
            for inner in op.body.walk():
                # an iter_arg's initial value shares the loop-carried
                # register, so it must stay a value of its own
                carried = inner.iter_args if isinstance(inner, riscv_scf.ForOp) else ()
                for i, v in enumerate(inner.operands):
                    if (
                        isinstance(v, OpResult)
                        and v.op.parent is body
                        and isinstance(v.type, riscv.IntRegisterType)
                        and v not in carried
                    ):
                        uses.append((inner, i, op))
    roots: list[_Root] = []
    for op, index, anchor in uses:
        value = op.operands[index]
        # nothing to gain on loop arguments, constants and outside values
        if not isinstance(value, OpResult) or isinstance(value.op, rv32.LiOp) or not _inside(value, loop):
            continue
        form = _affine(value, loop, memo)
        if form is None:
            continue
        root = _Root(op, index, anchor, form)
        if root.absorbs_offset:
            imm = op.attributes["immediate"]
            assert isinstance(imm, IntegerAttr)
            root.form = form.plus(Affine({}, imm.value.data))
        root.deep = _deep(root.form, iv, expanded)
        roots.append(root)
    return roots


def _group(roots: list[_Root]) -> list[_Group]:
    groups: list[_Group] = []
    for root in roots:
        assert root.deep is not None
        for group in groups:
            diff = root.deep.const - group.deep.const
            if group.deep.terms == root.deep.terms and fits_si12(diff):
                root.form = Affine(group.base.terms, group.base.const + diff)
                group.roots.append(root)
                break
        else:
            groups.append(_Group(root.form, [root], root.deep))
    for group in groups:
        _rebase(group)
    return groups


def _rebase(group: _Group) -> None:
    """Pick the group's constant so that its value needs the fewest fix-ups:
    the constant of a root that cannot take an immediate if there is one,
    else 0 (plain base + immediate offsets) when every offset fits."""
    consts = [r.form.const for r in group.roots]
    plain = [r.form.const for r in group.roots if not r.absorbs_offset]
    for candidate in (*plain[:1], 0):
        if all(fits_si12(c - candidate) for c in consts):
            group.base = Affine(group.base.terms, candidate)
            return


def _rewrite_uses(group: _Group, value: SSAValue, hoist_before: Operation | None) -> None:
    """Make the group's roots use `value` (the base) plus their offsets. A
    root that cannot take its offset as an immediate gets `value + offset`
    computed before `hoist_before` (the loop, for a loop-invariant `value`)
    or else in the body before the root's anchor."""
    fixups: dict[tuple[int, int], SSAValue] = {}
    for root in group.roots:
        diff = root.form.const - group.base.const
        if root.absorbs_offset:
            imm = root.op.attributes["immediate"]
            assert isinstance(imm, IntegerAttr)  # si12 or i12, per op
            root.op.attributes["immediate"] = IntegerAttr(diff, imm.type)
        elif diff:
            where = hoist_before if hoist_before is not None else root.anchor
            key = (id(where), diff)
            if key not in fixups:
                builder = Builder(InsertPoint.before(where))
                fixups[key] = builder.insert(riscv.AddiOp(value, diff)).rd
            value_here = fixups[key]
            root.op.operands[root.index] = value_here
            continue
        root.op.operands[root.index] = value


def _dce(loop: riscv_scf.ForOp) -> None:
    """Erase the now dead address arithmetic of the loop's body (ops before
    the loop may still feed values being built, so they are left alone)."""
    body = loop.body.block
    work = [op for op in body.ops if isinstance(op, _ARITH)]
    while work:
        op = work.pop()
        if op.parent is not body or any(r.uses for r in op.results):
            continue
        operands = [
            v.op
            for v in op.operands
            if isinstance(v, OpResult) and isinstance(v.op, _ARITH) and v.op.parent is body
        ]
        body.erase_op(op)
        work.extend(operands)


def _reduce_loop(loop: riscv_scf.ForOp) -> None:
    step = get_constant_value(loop.step_val) if loop.step_val is not None else loop.step_attr
    if step is None or step.value.data <= 0:
        return
    step_value = step.value.data
    body = loop.body.block
    iv = body.args[0]
    memo: dict[SSAValue, Affine | None] = {}
    groups = _group(_roots(loop, memo))
    if not groups:
        return
    before = Builder(InsertPoint.before(loop))

    # loop-invariant: computed once, before the loop; the rest become
    # pointers carried by the loop, advanced at the end of every iteration
    carried: list[tuple[_Group, int]] = []
    new_inits: list[SSAValue] = []
    new_args: list[BlockArgument] = []
    for group in groups:
        k = group.base.terms.get(iv, 0)
        if k == 0:
            _rewrite_uses(group, _emit(before, group.base), loop)
            continue
        carried.append((group, k * step_value))
        new_inits.append(_emit(before, _at(group.base, iv, loop.start)))
        new_args.append(body.insert_arg(riscv.Registers.UNALLOCATED_INT, len(body.args)))
        _rewrite_uses(group, new_args[-1], None)
    _dce(loop)

    # fold the loop onto the first positively strided pointer if the
    # induction variable has no other use once the addresses are rewritten
    start, stop, step_out = loop.start, loop.stop, step_value
    fold = None
    if not iv.uses:
        fold = next((i for i, (_, stride) in enumerate(carried) if stride > 0), None)
    if fold is not None:
        group, stride = carried[fold]
        start = new_inits[fold]
        stop = _emit(before, _at(group.base, iv, loop.stop))
        step_out = stride
        new_args[fold].replace_all_uses_with(iv)
        body.erase_arg(new_args[fold])
        del carried[fold], new_inits[fold], new_args[fold]

    # the allocator gives an iter_arg's init the register of the loop-carried
    # value, so it must not be shared: copy it (as convert-scf-to-riscv-scf does)
    if new_inits:
        mov = before.insert(
            riscv.ParallelMovOp(
                new_inits,
                [riscv.Registers.UNALLOCATED_INT] * len(new_inits),
                DenseArrayBase.from_list(i32, [32] * len(new_inits)),
            )
        )
        new_inits = list(mov.outputs)

    yield_op = body.last_op
    assert isinstance(yield_op, riscv_scf.YieldOp)
    after = Builder(InsertPoint.before(yield_op))
    nexts: list[SSAValue] = []
    # The allocator gives a yield operand the register of its iter_arg, so
    # the increment must stay last: the comment keeps cse from merging it
    # with an equal fix-up `addi` earlier in the body (e.g. an inner bound).
    for (_, stride), arg in zip(carried, new_args):
        if fits_si12(stride):
            nexts.append(after.insert(riscv.AddiOp(arg, stride, comment=_ADVANCE)).rd)
        else:
            amount = after.insert(rv32.LiOp(stride)).rd
            nexts.append(after.insert(riscv.AddOp(arg, amount, comment=_ADVANCE)).rd)
    if nexts:
        yield_op.operands = (*yield_op.operands, *nexts)

    # a static step, so that no `li` is left behind for it in the outer body
    step_arg: IntegerAttr | SSAValue = (
        IntegerAttr(step_out, riscv.si12)
        if fits_si12(step_out)
        else before.insert(rv32.LiOp(step_out)).rd
    )
    region = loop.detach_region(loop.body)
    new_loop = riscv_scf.ForOp(start, stop, step_arg, [*loop.iter_args, *new_inits], region)
    before.insert(new_loop)
    for old, new in zip(loop.results, new_loop.results):
        old.replace_all_uses_with(new)
    assert loop.parent is not None
    loop.parent.erase_op(loop)


def _height(loop: riscv_scf.ForOp) -> int:
    """0 for an innermost loop, 1 + the deepest nested loop's height otherwise."""
    inner = [op for op in loop.body.walk() if isinstance(op, riscv_scf.ForOp)]
    return 0 if not inner else 1 + max(_height(op) for op in inner)


def reduce_function(func: riscv_func.FuncOp, levels: int) -> None:
    """Strength-reduce the innermost `levels` loops of every nest in `func`.
    Innermost first: an outer loop then sees the inner loops' pointer
    initialisations and bounds as addresses to reduce in turn."""
    loops = [o for o in func.walk() if isinstance(o, riscv_scf.ForOp)]
    heights = {id(loop): _height(loop) for loop in loops}
    for loop in sorted(loops, key=lambda l: heights[id(l)]):
        if heights[id(loop)] < levels:
            _reduce_loop(loop)


@functools.cache
def _pipeline(then: tuple[str, ...]) -> PassPipeline:
    """`then` parsed once (the passes are frozen dataclasses: reusable)."""
    from xdsl.universe import Universe

    return PassPipeline.parse_spec(Universe.get_multiverse().all_passes, ",".join(then))


def _then(ctx: Context, func: riscv_func.FuncOp, then: tuple[str, ...]) -> riscv_func.FuncOp:
    """`func` moved into a module of its own and run through `then`."""
    module = ModuleOp([func])
    if then:
        _pipeline(then).apply(ctx, module)
    return func


def _allocated(candidate: riscv_func.FuncOp, remat: bool, consume: bool) -> riscv_func.FuncOp | None:
    """`candidate` allocated as riscv-allocate-registers-full allocates
    (hardware loops on), constants rematerialised only if `remat`: in place
    if `consume` (`candidate` is of no use when it does not fit), else a
    copy; None if it does not fit."""
    trial = candidate if consume else candidate.clone()
    try:
        allocate_with_remat(trial, hwloops=True, remat=remat)
    except OutOfRegisters:
        if trial.parent is not None:
            trial.detach()
        trial.erase(safe_erase=False)
        return None
    return trial


@dataclass(frozen=True)
class RiscvScfStrengthReducePass(ModulePass):
    """Step addresses as loop-carried pointers in the innermost `levels`
    loops of every nest (see the module docstring), then run `then` on every
    function. `then` is what the pipeline runs between this pass and register
    allocation (the standard pipeline names it): each candidate is tried on
    a copy through `then` and allocated, and the first that allocates is
    kept as `then` left it (with `allocate`, as allocated), so the kept
    result costs no second run. A function whose reduced form would not
    allocate (tdopt's allocator never spills) is tried with fewer levels,
    down to none."""

    name = "riscv-scf-strength-reduce"

    levels: int = 3
    then: tuple[str, ...] = ()
    # keep the allocation of the copy that fits (the pipeline allocates next)
    allocate: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for func in [o for o in op.walk() if isinstance(o, riscv_func.FuncOp)]:
            if not func.body.blocks:
                continue
            parent = func.parent_block()
            assert parent is not None
            where = func.next_op
            func.detach()
            if any(isinstance(o, riscv_scf.ForOp) for o in func.walk()):
                func = self._reduced(ctx, func)
            else:
                func = _then(ctx, func, self.then)
            func.detach()
            parent.insert_op_before(func, where) if where is not None else parent.add_op(func)

    def _reduced(self, ctx: Context, func: riscv_func.FuncOp) -> riscv_func.FuncOp:
        """The most levels whose result allocates, through `then`;
        rematerialised constants (an `li` per use, possibly in the innermost
        loop) only count when the function needs them anyway."""
        tries = [(levels, False) for levels in range(self.levels, -1, -1)]
        tries += [(levels, True) for levels in range(self.levels, 0, -1)]
        for levels, remat in tries:
            candidate = func.clone()
            if levels:
                reduce_function(candidate, levels)
            candidate = _then(ctx, candidate, self.then)
            allocated = _allocated(candidate, remat, consume=self.allocate)
            if allocated is None:
                if not self.allocate:
                    candidate.detach()
                    candidate.erase(safe_erase=False)
                continue
            if self.allocate:
                return allocated
            allocated.erase(safe_erase=False)
            return candidate
        # nothing fits: riscv-allocate-registers-full names the kernel
        return _then(ctx, func, self.then)
