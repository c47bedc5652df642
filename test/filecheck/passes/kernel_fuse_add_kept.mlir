// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add' | filecheck %s

// Adds that stay: y is used after the add (a second result), and an add
// broadcasting a bias (not elementwise over one shape).
// CHECK-LABEL: func.func @main()
// CHECK-COUNT-2: func.call @k_add_
// CHECK-NOT:   func.call @k_add_
func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %v: tensor<8x4xf32>, %b: tensor<4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %y = train.matmul %x, %w : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %z = train.matmul %x, %v : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %s = train.add %y, %z : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = train.relu %s : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %u = train.matmul %x, %v : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %t = train.add %u, %b : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  %q = train.relu %t : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %r, %y, %q : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
