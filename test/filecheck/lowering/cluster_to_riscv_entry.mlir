// RUN: tdopt %s -p convert-cluster-to-riscv | filecheck %s

// The entry's own ops: a call on core 0 (the buffers' addresses in a0..,
// a symbol plus its offset), the profile's cycle-counter stamp (word 2*slot
// + word of __tdopt_profile, the counter's low word at CYCLES_LO
// 0x10200200), and the check of 4 labels against 10 classes (the first out
// of range fills __tdopt_label_error and ends the run with exit code
// 0x1abe1 through EOC 0x10200000); the entry's 16-byte frame (ra at
// 12(sp)) around its body, and 0 returned to crt0.
// CHECK-LABEL: riscv_func.func public @tdopt_main()
// CHECK-NEXT:  rvx.asm "addi sp, sp, -16"
// CHECK-NEXT:  rvx.asm "sw ra, 12(sp)"
// CHECK-NEXT:  rvx.asm "la t0, y+16"
// CHECK-NEXT:  rvx.asm "li t1, 4"
// CHECK-NEXT:  rvx.asm "li t2, 10"
// CHECK-NEXT:  rvx.asm ".Ltdopt_labels3:"
// CHECK-NEXT:  rvx.asm "lw t3, 0(t0)"
// CHECK-NEXT:  rvx.asm "bgeu t3, t2, .Ltdopt_labels3_bad"
// CHECK-NEXT:  rvx.asm "addi t0, t0, 4"
// CHECK-NEXT:  rvx.asm "addi t1, t1, -1"
// CHECK-NEXT:  rvx.asm "bnez t1, .Ltdopt_labels3"
// CHECK-NEXT:  rvx.asm "j .Ltdopt_labels3_ok"
// CHECK-NEXT:  rvx.asm ".Ltdopt_labels3_bad:"
// CHECK-NEXT:  rvx.asm "la t1, __tdopt_label_error"
// CHECK-NEXT:  rvx.asm "sw t0, 0(t1)"
// CHECK-NEXT:  rvx.asm "sw t3, 4(t1)"
// CHECK-NEXT:  rvx.asm "sw t2, 8(t1)"
// CHECK-NEXT:  rvx.asm "li t0, 0x10200000"
// CHECK-NEXT:  rvx.asm "li t1, 0x1abe1"
// CHECK-NEXT:  rvx.asm "sw t1, 0(t0)"
// CHECK-NEXT:  rvx.asm ".Ltdopt_labels3_bad_stop: j .Ltdopt_labels3_bad_stop"
// CHECK-NEXT:  rvx.asm ".Ltdopt_labels3_ok:"
// CHECK-NEXT:  rvx.asm "li t0, 0x10200200"
// CHECK-NEXT:  rvx.asm "lw t1, 0(t0)"
// CHECK-NEXT:  rvx.asm "la t0, __tdopt_profile+12"
// CHECK-NEXT:  rvx.asm "sw t1, 0(t0)"
// CHECK-NEXT:  rvx.asm "la a0, x"
// CHECK-NEXT:  rvx.asm "la a1, __tdopt_arena+64"
// CHECK-NEXT:  rvx.asm "call k"
// CHECK-NEXT:  rvx.asm "lw ra, 12(sp)"
// CHECK-NEXT:  rvx.asm "addi sp, sp, 16"
// CHECK-NEXT:  rvx.asm "li a0, 0"
// CHECK-NEXT:  riscv_func.return
// CHECK-NEXT:  }
riscv_func.func public @tdopt_main() attributes {cluster.entry} {
  cluster.check_labels {labels = @y, offset = 16 : i64, rows = 4 : i64, classes = 10 : i64, index = 3 : i64}
  cluster.cycle_stamp {slot = 1 : i64, word = 1 : i64}
  cluster.call {kernel = @k, homes = [@x, @__tdopt_arena], home_offsets = array<i64: 0, 64>}
  cluster.return
}
