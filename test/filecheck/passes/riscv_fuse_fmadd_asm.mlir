// The known-good rv32imf pipeline with riscv-fuse-fmadd before register
// allocation: the matmul inner loop and a GELU-style scalar function use
// fmadd.s, and the emitted assembly is accepted by the GNU assembler.
// RUN: tdopt %s -p 'convert-linalg-to-loops,convert-func-to-riscv-func,expand-math-rv32f,convert-arith-extra-to-riscv,convert-memref-to-riscv,convert-arith-to-riscv,convert-scf-to-riscv-scf,reconcile-unrealized-casts,canonicalize,cse,riscv-fuse-fmadd,canonicalize,cse,licm,riscv-scf-loop-range-folding,canonicalize,cse,riscv-allocate-registers,canonicalize,convert-riscv-scf-to-riscv-cf,riscv-lower-parallel-mov,canonicalize' -t riscv-asm | filecheck %s
// RUN: tdopt %s -p 'convert-linalg-to-loops,convert-func-to-riscv-func,expand-math-rv32f,convert-arith-extra-to-riscv,convert-memref-to-riscv,convert-arith-to-riscv,convert-scf-to-riscv-scf,reconcile-unrealized-casts,canonicalize,cse,riscv-fuse-fmadd,canonicalize,cse,licm,riscv-scf-loop-range-folding,canonicalize,cse,riscv-allocate-registers,canonicalize,convert-riscv-scf-to-riscv-cf,riscv-lower-parallel-mov,canonicalize' -t riscv-asm > %t.s
// RUN: riscv64-unknown-elf-as -march=rv32imf_zicsr -mabi=ilp32f %t.s -o %t.o

// CHECK-LABEL: matmul:
// CHECK: flw [[A:ft[0-9]+]], 0({{.*}})
// CHECK: flw [[B:ft[0-9]+]], 0({{.*}})
// CHECK: flw [[C:ft[0-9]+]], 0({{.*}})
// CHECK-NEXT: fmadd.s [[R:ft[0-9]+]], [[A]], [[B]], [[C]]
// CHECK-NEXT: fsw [[R]], 0({{.*}})
// CHECK-NOT: fmul.s
// CHECK: ret
func.func public @matmul(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  func.return
}

// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); the
// tanh expansion is abs, clamp, rounding, Cody-Waite (fnmsub.s), Horner
// (fmadd.s), divide and copysign.
// CHECK-LABEL: tanh_gelu:
// CHECK: fsgnjx.s
// CHECK: fmin.s
// CHECK: fmadd.s
// CHECK: fnmsub.s
// CHECK: fnmsub.s
// CHECK: fmadd.s
// CHECK: fdiv.s
// CHECK: fsgnj.s
// CHECK: fmadd.s
// CHECK: ret
func.func public @tanh_gelu(%x: f32) -> f32 {
  %c = arith.constant 0.0356774081 : f32
  %k = arith.constant 0.797884583 : f32
  %half = arith.constant 0.5 : f32
  %x2 = arith.mulf %x, %x : f32
  %x3 = arith.mulf %x2, %x : f32
  %cx3 = arith.mulf %x3, %c : f32
  %kx = arith.mulf %x, %k : f32
  %u = arith.addf %kx, %cx3 : f32
  %t = math.tanh %u : f32
  %hx = arith.mulf %x, %half : f32
  %ht = arith.mulf %hx, %t : f32
  %y = arith.addf %ht, %hx : f32
  func.return %y : f32
}

// sqrt and division are single instructions.
// CHECK-LABEL: sqrt_div:
// CHECK: fsqrt.s [[S:ft[0-9]+]], {{f[a-z0-9]+}}
// CHECK-NEXT: fdiv.s {{f[a-z0-9]+}}, [[S]], {{f[a-z0-9]+}}
// CHECK: ret
func.func public @sqrt_div(%x: f32, %y: f32) -> f32 {
  %s = math.sqrt %x : f32
  %q = arith.divf %s, %y : f32
  func.return %q : f32
}

// fptosi truncates (rtz), written as the encoding of fcvt.w.s rd, rs, rtz.
// CHECK-LABEL: to_int:
// CHECK: .insn r 0x53, 1, 0x60, {{[a-z0-9]+}}, {{f[a-z0-9]+}}, zero
// CHECK: ret
func.func public @to_int(%x: f32) -> i32 {
  %i = arith.fptosi %x : f32 to i32
  func.return %i : i32
}
