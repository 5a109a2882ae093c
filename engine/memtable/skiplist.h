// memtable/skiplist.h: the ordered index under the memtable, a skiplist
// whose nodes live in an Arena.
//
// Thread safety
// -------------
// Writes (Insert) must be externally synchronized: one writer at a time.
// Reads (Contains, Iterator) need no lock and may run while the writer
// inserts. A reader sees every node whose insertion finished before the
// read began, and possibly some inserted during it, never a half-built one.
//
// Invariants
// ----------
// (1) Nodes are never deleted or changed (except their next pointers being
//     set when a node is linked in) until the SkipList is destroyed. The
//     Arena frees everything at once, so readers never touch freed memory.
// (2) A node is fully initialized (key and every next pointer of its own)
//     before it is published: the writer links it level by level from the
//     bottom with release stores, and readers follow next pointers with
//     acquire loads. So any node a reader reaches through a pointer is
//     complete, and the level-0 list is always a sorted list of all
//     published nodes; higher levels are sorted subsets of it.
// (3) max_height_ only grows. A reader that sees a new, larger height
//     before the head's new pointers is fine: those pointers are still
//     nullptr, which reads as "end of this level" and the search drops down.
//
// Hot path: Insert allocates only from the Arena; searches and iteration
// allocate nothing.
#ifndef FIRN_MEMTABLE_SKIPLIST_H_
#define FIRN_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <new>

#include "util/arena.h"
#include "util/random.h"

namespace firn {

// Key must be trivially copyable and cheap to copy (the memtable uses a
// pointer to an encoded entry). Comparator is a copyable functor with
// `int operator()(const Key& a, const Key& b) const` returning <0, 0, >0.
template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  // Each node reaches level i+1 with probability 1/kBranching.
  static constexpr int kBranching = 4;

  // Nodes are allocated from *arena, which must outlive the SkipList.
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts key. REQUIRES: nothing equal to key is in the list; external
  // synchronization among writers.
  void Insert(const Key& key);

  // True if an entry equal to key is in the list.
  bool Contains(const Key& key) const;

  // Iteration over the list's contents. Also valid while a writer inserts
  // (see "Thread safety" above); it never allocates.
  class Iterator {
   public:
    // The iterator starts invalid.
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid().
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES: Valid().
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // REQUIRES: Valid(). O(log n): searches for the last node < key().
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // Positions at the first entry >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    // Positions at the last entry <= target.
    void SeekForPrev(const Key& target) {
      Seek(target);
      if (!Valid()) {
        SeekToLast();
      } else if (list_->compare_(node_->key, target) > 0) {
        Prev();
      }
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  int RandomHeight();
  Node* NewNode(const Key& key, int height);
  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  // True if key sorts after n's key (nullptr is +infinity).
  bool KeyIsAfterNode(const Key& key, const Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }
  // First node >= key, or nullptr. If prev is non-null, fills prev[level]
  // with the last node < key at each level in [0, max height).
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < key, or head_ if there is none.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ if the list is empty.
  Node* FindLast() const;

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  // Height of the tallest node. Written only by the writer; read by
  // readers relaxed (see invariant 3).
  std::atomic<int> max_height_{1};
  // Used only by the writer.
  Random rnd_;
};

// A node is this struct followed in the same allocation by `height`
// std::atomic<Node*> links; link i is the successor at level i.
template <typename Key, class Comparator>
struct alignas(std::atomic<void*>) SkipList<Key, Comparator>::Node {
  explicit Node(const Key& k) : key(k) {}

  Key const key;

  // Acquire: a reader that loads a pointer sees the node fully initialized.
  Node* Next(int level) const {
    assert(level >= 0);
    return links()[level].load(std::memory_order_acquire);
  }
  // Release: publishes x (and everything written to it) to readers.
  void SetNext(int level, Node* x) {
    assert(level >= 0);
    links()[level].store(x, std::memory_order_release);
  }
  // For the writer only, where no reader can see the node yet or where a
  // later release store publishes the write.
  Node* NoBarrierNext(int level) const {
    return links()[level].load(std::memory_order_relaxed);
  }
  void NoBarrierSetNext(int level, Node* x) {
    links()[level].store(x, std::memory_order_relaxed);
  }

  std::atomic<Node*>* links() const {
    // The links start right after the node, which alignas keeps aligned.
    return reinterpret_cast<std::atomic<Node*>*>(
        reinterpret_cast<char*>(const_cast<Node*>(this)) + sizeof(Node));
  }
};

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::NewNode(
    const Key& key, int height) {
  static_assert(sizeof(Node) % alignof(std::atomic<Node*>) == 0);
  static_assert(alignof(Node) <= 8, "Arena::AllocateAligned aligns to 8");
  char* mem = arena_->AllocateAligned(sizeof(Node) +
                                      sizeof(std::atomic<Node*>) * static_cast<size_t>(height));
  Node* node = new (mem) Node(key);
  std::atomic<Node*>* links = node->links();
  for (int i = 0; i < height; i++) new (&links[i]) std::atomic<Node*>(nullptr);
  return node;
}

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator cmp, Arena* arena)
    : compare_(cmp), arena_(arena), head_(NewNode(Key(), kMaxHeight)), rnd_(0xdeadbeef) {}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && rnd_.OneIn(kBranching)) height++;
  assert(height > 0 && height <= kMaxHeight);
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  for (;;) {
    Node* next = x->Next(level);
    if (KeyIsAfterNode(key, next)) {
      x = next;  // keep going right on this level
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      level--;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLessThan(
    const Key& key) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  for (;;) {
    assert(x == head_ || compare_(x->key, key) < 0);
    Node* next = x->Next(level);
    if (next == nullptr || compare_(next->key, key) >= 0) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast() const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  for (;;) {
    Node* next = x->Next(level);
    if (next == nullptr) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::Insert(const Key& key) {
  Node* prev[kMaxHeight];
  Node* x = FindGreaterOrEqual(key, prev);
  // Duplicate insertion is not allowed.
  assert(x == nullptr || !Equal(key, x->key));

  const int height = RandomHeight();
  if (height > GetMaxHeight()) {
    for (int i = GetMaxHeight(); i < height; i++) prev[i] = head_;
    // Relaxed is enough (invariant 3): a reader seeing the new height early
    // finds nullptr in head_'s new levels and drops down.
    max_height_.store(height, std::memory_order_relaxed);
  }

  x = NewNode(key, height);
  for (int i = 0; i < height; i++) {
    // x is not yet visible, so its own link needs no barrier; the release
    // store into prev[i] publishes x together with this link.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && Equal(key, x->key);
}

}  // namespace firn

#endif  // FIRN_MEMTABLE_SKIPLIST_H_
