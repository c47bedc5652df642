// RUN: tdopt %s -p train-schedule-updates | filecheck %s

// The update of @w2 moves up to right after its gradient: its only other
// reader, the transpose, already made its own copy (value semantics). @w1's
// update follows its own gradient. The gradients then die at once.
// CHECK-LABEL: func.func @step
// CHECK:      %[[W2T:.*]] = train.transpose %w2
// CHECK-NEXT: %[[G2:.*]] = train.matmul %h_t, %dy
// CHECK-NEXT: %[[LR2:.*]] = train.constant dense<1.000000e-02>
// CHECK-NEXT: %[[S2:.*]] = train.mul %[[G2]], %[[LR2]]
// CHECK-NEXT: %[[W2U:.*]] = train.sub %w2, %[[S2]]
// CHECK-NEXT: %[[DH:.*]] = train.matmul %dy, %[[W2T]]
// CHECK-NEXT: %[[G1:.*]] = train.matmul %x_t, %[[DH]]
// CHECK-NEXT: %[[LR1:.*]] = train.constant dense<1.000000e-02>
// CHECK-NEXT: %[[S1:.*]] = train.mul %[[G1]], %[[LR1]]
// CHECK-NEXT: %[[W1U:.*]] = train.sub %w1, %[[S1]]
// CHECK-NEXT: func.return %[[W1U]], %[[W2U]]
func.func @step(%x: tensor<2x4xf32>, %x_t: tensor<4x2xf32>, %h_t: tensor<3x2xf32>, %dy: tensor<2x5xf32>) -> (tensor<4x3xf32>, tensor<3x5xf32>) attributes {train.result_names = ["w1_updated", "w2_updated"]} {
  %w1 = train.param @w1 trainable : tensor<4x3xf32>
  %w2 = train.param @w2 trainable : tensor<3x5xf32>
  %w2_t = train.transpose %w2 {perm = array<i64: 1, 0>} : (tensor<3x5xf32>) -> tensor<5x3xf32>
  %g2 = train.matmul %h_t, %dy : (tensor<3x2xf32>, tensor<2x5xf32>) -> tensor<3x5xf32>
  %dh = train.matmul %dy, %w2_t : (tensor<2x5xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  %g1 = train.matmul %x_t, %dh : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %lr1 = train.constant dense<0.01> : tensor<f32>
  %s1 = train.mul %g1, %lr1 : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %w1u = train.sub %w1, %s1 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %lr2 = train.constant dense<0.01> : tensor<f32>
  %s2 = train.mul %g2, %lr2 : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %w2u = train.sub %w2, %s2 : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  func.return %w1u, %w2u : tensor<4x3xf32>, tensor<3x5xf32>
}
