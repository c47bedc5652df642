// Static placement: a memref.global whose type names a tier
// (#tier.space<...>, as written by hand or placed by plan-memory) goes into
// that tier's section; without one the global stays in L2.
// RUN: tdopt %s -p convert-globals-to-sections | filecheck %s

// CHECK:      riscv.assembly_section ".section .l3,\22aw\22,@progbits" {
// CHECK-NEXT:   riscv.directive ".globl" "w"
// CHECK:      riscv.assembly_section ".section .l1,\22aw\22,@progbits" {
// CHECK-NEXT:   riscv.directive ".globl" "t"
// CHECK:        rvx.words [1065353216, 1065353216, 1065353216, 1065353216]
// CHECK:      riscv.assembly_section ".section .l2,\22aw\22,@progbits" {
// CHECK-NEXT:   riscv.directive ".globl" "plain"
"memref.global"() <{sym_name = "w", type = memref<4xf32, #tier.space<l3>>, initial_value, sym_visibility = "public"}> : () -> ()
"memref.global"() <{sym_name = "t", type = memref<4xf32, #tier.space<l1>>, initial_value = dense<1.0> : tensor<4xf32>, sym_visibility = "public"}> {cluster.role = #cluster.role<const>} : () -> ()
"memref.global"() <{sym_name = "plain", type = memref<4xf32>, initial_value, sym_visibility = "public"}> : () -> ()
