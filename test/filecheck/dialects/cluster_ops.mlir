// The runtime hooks of the cluster dialect parse, verify and print back
// unchanged; they are pure, so cse merges two reads of one value.
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s
// RUN: tdopt %s --print-op-generic | tdopt | filecheck %s
// Stock xdsl-opt sees the ops through the xdsl.universe entry point:
// RUN: xdsl-opt %s | filecheck %s
// RUN: tdopt %s -p cse | filecheck %s --check-prefix=CSE

// CHECK-LABEL: func.func @hooks
// CHECK-NEXT:    %id = cluster.core_id : index
// CHECK-NEXT:    %n = cluster.num_cores : index
// CHECK-NEXT:    %id2 = cluster.core_id : index
// CHECK-NEXT:    %n2 = cluster.num_cores : index
// CSE-LABEL: func.func @hooks
// CSE-NEXT:    %id = cluster.core_id : index
// CSE-NEXT:    %n = cluster.num_cores : index
// CSE-NEXT:    func.return %id, %n, %id, %n : index, index, index, index
func.func @hooks() -> (index, index, index, index) {
  %id = cluster.core_id : index
  %n = cluster.num_cores : index
  %id2 = cluster.core_id : index
  %n2 = cluster.num_cores : index
  func.return %id, %n, %id2, %n2 : index, index, index, index
}
