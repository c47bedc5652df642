// The linalg level (`--emit=linalg`, the cluster attributes and the tiers
// on the types) parses back into tdopt and prints the same text.
// RUN: tdopt %s --finetune '*' --emit=linalg -o %t.mlir
// RUN: tdopt %t.mlir -o %t.again.mlir
// RUN: diff %t.mlir %t.again.mlir
// RUN: filecheck %s --input-file=%t.mlir

// CHECK: builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = {{[0-9]+}}, arena = {{[0-9]+}}, l1 = {{[0-9]+}}, l2 = 0>}
// CHECK: sym_name = "w_updated", type = memref<4x3xf32>,{{.*}}cluster.alias_of = @w
// CHECK: func.func @step(){{.*}}cluster.entry
// CHECK: %[[W:.*]] = memref.get_global @w : memref<4x3xf32, #tier.space<l1>>
// CHECK-NEXT: "memref.memory_space_cast"(%[[W]])
// CHECK: cluster.kernel = "cross_entropy"
func.func @step(%x: tensor<2x4xf32>, %y: tensor<2xi32>) -> tensor<f32> {
  %w = train.param @w trainable = dense<0.5> : tensor<4x3xf32>
  %h = train.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %l = train.cross_entropy %h, %y : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
