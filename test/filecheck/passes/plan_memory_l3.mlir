// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0 capacity=20000 spill_l3=true}' | filecheck %s
// RUN: not tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0 capacity=20000}' 2>&1 | filecheck %s --check-prefix=NOSPILL

// 48 KiB of tensors, 20000 bytes of L2: the least used go to L3 first (a and
// b, read by one kernel each; the result is written by two, the fill and the
// matmul), until the rest fits: a, then b (hand-derived).
// CHECK: builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<{{.*}}l2 = 16384, l3 = 32768>}
// CHECK-DAG: sym_name = "a", type = memref<64x64xf32, #tier.space<l3>>
// CHECK-DAG: sym_name = "b", type = memref<64x64xf32, #tier.space<l3>>
// CHECK-DAG: sym_name = "result0", type = memref<64x64xf32, #tier.space<l2>>

// NOSPILL: error: plan-memory: the program needs 49152 bytes of L2 (after 0 bytes placed in L1; 49152 bytes of parameters, inputs and outputs and a 0-byte activation arena in all) but 20000 are available, tensors move to L3 only in tiled builds (--tile-l1), where the DMA reaches them
func.func @main(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = train.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  func.return %c : tensor<64x64xf32>
}
