// RUN: tdopt %s -p 'train-lora{rank=2 alpha=4 seed=7}' | filecheck %s
// RUN: tdopt %s -p 'train-lora{rank=2 targets=w2}' | filecheck %s --check-prefix=GEMM
// RUN: tdopt %s -p 'train-lora{rank=2 targets=w1,w2},train-lora-merge' | filecheck %s --check-prefix=MERGE
// RUN: tdopt %s --verify-diagnostics -p 'train-lora{rank=0}' | filecheck %s --check-prefix=RANK
// RUN: tdopt %s --verify-diagnostics -p 'train-lora{targets="attn*"}' | filecheck %s --check-prefix=TARGET
// RUN: tdopt %s --verify-diagnostics -p 'train-lora-merge' | filecheck %s --check-prefix=NOADAPTER

// The default targets are every linear layer but the last (the head): here
// the matmul by @w1, whose weight is frozen; A is random, B zero.
// CHECK-LABEL: func.func @mlp
// CHECK: %w1 = train.param @w1 : tensor<8x16xf32>
// CHECK-NEXT: %w1_lora_A = train.param @w1_lora_A trainable = dense<{{.*}}> : tensor<2x8xf32>
// CHECK-NEXT: %w1_lora_B = train.param @w1_lora_B trainable = dense<0.000000e+00> : tensor<16x2xf32>
// CHECK-NOT: @w2_lora
// CHECK: %h = train.matmul %x, %w1
// CHECK-NEXT: %[[AT:.*]] = train.transpose %w1_lora_A {perm = array<i64: 1, 0>} : (tensor<2x8xf32>) -> tensor<8x2xf32>
// CHECK-NEXT: %[[XA:.*]] = train.matmul %x, %[[AT]] : (tensor<2x5x8xf32>, tensor<8x2xf32>) -> tensor<2x5x2xf32>
// CHECK-NEXT: %[[BT:.*]] = train.transpose %w1_lora_B {perm = array<i64: 1, 0>}
// CHECK-NEXT: %[[XAB:.*]] = train.matmul %[[XA]], %[[BT]] : (tensor<2x5x2xf32>, tensor<2x16xf32>) -> tensor<2x5x16xf32>
// CHECK-NEXT: %[[S:.*]] = train.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[D:.*]] = train.mul %[[XAB]], %[[S]]
// CHECK-NEXT: %[[Y:.*]] = train.add %h, %[[D]] {train.lora = {base = "w1", scale = 2.000000e+00 : f64}}
// CHECK-NEXT: train.gelu %[[Y]]

// A gemm with trans_b keeps the transposes in its flags and the scale in alpha.
// GEMM-LABEL: func.func @mlp
// GEMM: %w2_lora_B = train.param @w2_lora_B trainable = dense<0.000000e+00> : tensor<3x2xf32>
// GEMM: %[[XA:.*]] = train.gemm %m, %w2_lora_A {trans_b} : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x2xf32>
// GEMM-NEXT: %[[XAB:.*]] = train.gemm %[[XA]], %w2_lora_B {trans_b, alpha = 1.000000e+00 : f64} : (tensor<2x2xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
// GEMM-NEXT: train.add %y, %[[XAB]] {train.lora = {base = "w2", scale = 1.000000e+00 : f64}}

// Merging folds W + s (B A), in the weight's layout, into the layer.
// MERGE-LABEL: func.func @mlp
// MERGE: %[[D1:.*]] = train.gemm %w1_lora_A, %w1_lora_B {trans_a, trans_b, alpha = 1.000000e+00 : f64} : (tensor<2x8xf32>, tensor<16x2xf32>) -> tensor<8x16xf32>
// MERGE-NEXT: %[[W1:.*]] = train.add %w1, %[[D1]]
// MERGE-NEXT: %h = train.matmul %x, %[[W1]]
// MERGE: %[[D2:.*]] = train.gemm %w2_lora_B, %w2_lora_A {alpha = 1.000000e+00 : f64} : (tensor<3x2xf32>, tensor<2x16xf32>) -> tensor<3x16xf32>
// MERGE-NEXT: %[[W2:.*]] = train.add %w2, %[[D2]]
// MERGE-NEXT: %y = train.gemm %m, %[[W2]] {trans_b}
// MERGE-NOT: train.lora

// RANK: error: train-lora: rank must be a positive integer, got 0
// TARGET: error: train-lora: unknown target 'attn*': it matches no weight of a gemm/matmul with a parameter operand (eligible: w1, w2)
// NOADAPTER: error: train-lora-merge: @mlp has no LoRA adapter (run train-lora first)
func.func @mlp(%x: tensor<2x5x8xf32>, %labels: tensor<2xi64>) -> tensor<f32> {
  %w1 = train.param @w1 trainable : tensor<8x16xf32>
  %w2 = train.param @w2 trainable : tensor<3x16xf32>
  %h = train.matmul %x, %w1 : (tensor<2x5x8xf32>, tensor<8x16xf32>) -> tensor<2x5x16xf32>
  %g = train.gelu %h : (tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %m = train.reduce_mean %g {axes = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x16xf32>
  %y = train.gemm %m, %w2 {trans_b} : (tensor<2x16xf32>, tensor<3x16xf32>) -> tensor<2x3xf32>
  %l = train.cross_entropy %y, %labels : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
