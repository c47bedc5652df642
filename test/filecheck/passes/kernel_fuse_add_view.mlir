// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add' | filecheck %s

// y is read after the add through a view (its reshape, relu'd last): the
// add stays, and x v keeps its own buffer.
// CHECK-LABEL: func.func @main()
// CHECK:       func.call @k_add_1_0(
// CHECK:       func.call @k_relu_3_0(
func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %v: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<16xf32>) {
  %y = train.matmul %x, %w : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %yr = train.reshape %y : (tensor<4x4xf32>) -> tensor<16xf32>
  %z = train.matmul %x, %v : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %s = train.add %y, %z : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = train.relu %s : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %q = train.relu %yr : (tensor<16xf32>) -> tensor<16xf32>
  func.return %r, %q : tensor<4x4xf32>, tensor<16xf32>
}
