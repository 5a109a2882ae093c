// db/merging_iterator.cc: see merging_iterator.h.
#include "db/merging_iterator.h"

#include <cassert>
#include <cstdint>
#include <memory>
#include <utility>

#include "db/dbformat.h"

namespace firn {

namespace {

int CompareKeys(std::string_view a, std::string_view b) {
  if (a.size() < kInternalKeyTagBytes || b.size() < kInternalKeyTagBytes) return a.compare(b);
  return CompareInternalKey(a, b);
}

// A child with its position cached, so the hot loops (the loser tree,
// FindLargest) make no virtual calls.
// Invariant: after Update(), valid/key/failed reflect iter's position.
struct Child {
  std::unique_ptr<Iterator> iter;
  bool valid = false;
  bool failed = false;  // invalid with a non-OK status
  std::string_view key;

  void Update() {
    valid = iter->Valid();
    if (valid) {
      key = iter->key();
      failed = false;
    } else {
      key = std::string_view();
      failed = !iter->status().ok();
    }
  }
};

// Yields entries in (key, child index) order, or its reverse.
// Invariants: current_ is null (invalid) or the child holding the current
// entry. In the forward direction every valid child is positioned at its
// first entry after the current one in (key, child index) order, the
// current child at the current entry; in the reverse direction, at its last
// entry before the current one.
// In the forward direction the children are the leaves of a loser tree
// (a tournament tree of leaves_ = the next power of two >= the number of
// children leaves; leaf i is child i, leaves past the last child and
// exhausted children lose to every valid child): loser_[node], for node in
// [1, leaves_), is the child that lost the match at that node, i.e. the
// winner of one of its two subtrees; winner_ is the overall winner, and
// current_ is that child when it is valid.
// Hot path: forward Next. Only the current child moves, so only the
// matches on its leaf-to-root path are replayed: log2(leaves_) key
// comparisons per entry (a linear scan would take one per child).
class MergingIterator final : public Iterator {
 public:
  explicit MergingIterator(std::vector<Iterator*> children) : children_(children.size()) {
    for (size_t i = 0; i < children.size(); i++) children_[i].iter.reset(children[i]);
    while (leaves_ < children_.size()) leaves_ *= 2;
    loser_.assign(leaves_, 0);
    winners_.assign(2 * leaves_, 0);
  }

  bool Valid() const override { return current_ != nullptr; }

  void SeekToFirst() override {
    for (Child& c : children_) {
      c.iter->SeekToFirst();
      c.Update();
    }
    Rebuild();
    direction_ = kForward;
  }

  void SeekToLast() override {
    for (Child& c : children_) {
      c.iter->SeekToLast();
      c.Update();
    }
    FindLargest();
    direction_ = kReverse;
  }

  void Seek(std::string_view target) override {
    for (Child& c : children_) {
      c.iter->Seek(target);
      c.Update();
    }
    Rebuild();
    direction_ = kForward;
  }

  void Next() override {
    assert(Valid());
    if (direction_ != kForward) {
      const std::string_view k = current_->key;
      for (Child& c : children_) {
        if (&c == current_) continue;
        c.iter->Seek(k);
        c.Update();
        if (&c < current_) {
          // (k, lower index) precedes the current entry: step past it.
          while (c.valid && CompareKeys(c.key, k) == 0) {
            c.iter->Next();
            c.Update();
          }
        }
      }
      direction_ = kForward;
      current_->iter->Next();
      current_->Update();
      Rebuild();  // the other children moved: the tree is stale
      return;
    }
    current_->iter->Next();
    current_->Update();
    if (current_->failed) {
      current_ = nullptr;  // as Rebuild: the other children are not failed
      return;
    }
    Replay();
  }

  void Prev() override {
    assert(Valid());
    if (direction_ != kReverse) {
      const std::string_view k = current_->key;
      for (Child& c : children_) {
        if (&c == current_) continue;
        c.iter->Seek(k);
        c.Update();
        if (c.valid) {
          // (k, lower index) precedes the current entry: keep it.
          if (&c > current_ || CompareKeys(c.key, k) != 0) {
            c.iter->Prev();
            c.Update();
          }
        } else if (!c.failed) {
          c.iter->SeekToLast();
          c.Update();
        }
      }
      direction_ = kReverse;
    }
    current_->iter->Prev();
    current_->Update();
    FindLargest();
  }

  std::string_view key() const override {
    assert(Valid());
    return current_->key;
  }

  std::string_view value() const override {
    assert(Valid());
    return current_->iter->value();
  }

  Status status() const override {
    for (const Child& c : children_) {
      Status s = c.iter->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  enum Direction { kForward, kReverse };

  // Whether child a's entry precedes child b's in (key, child index) order,
  // exhausted children and padding leaves (index >= children_.size())
  // coming after every valid child. A strict total order on indices.
  bool Precedes(uint32_t a, uint32_t b) const {
    const bool a_valid = a < children_.size() && children_[a].valid;
    const bool b_valid = b < children_.size() && children_[b].valid;
    if (a_valid != b_valid) return a_valid;
    if (!a_valid) return a < b;
    const int r = CompareKeys(children_[a].key, children_[b].key);
    return r < 0 || (r == 0 && a < b);
  }

  // Plays every match of the tree afresh (the children were all
  // repositioned) and sets current_; invalid if any child failed.
  void Rebuild() {
    for (const Child& c : children_) {
      if (c.failed) {
        current_ = nullptr;
        return;
      }
    }
    for (uint32_t i = 0; i < leaves_; i++) winners_[leaves_ + i] = i;
    for (size_t node = leaves_ - 1; node >= 1; node--) {
      const uint32_t a = winners_[2 * node];
      const uint32_t b = winners_[2 * node + 1];
      const bool a_wins = Precedes(a, b);
      winners_[node] = a_wins ? a : b;
      loser_[node] = a_wins ? b : a;
    }
    winner_ = winners_[1];  // leaves_ == 1: the leaf of child 0
    SetCurrent();
  }

  // Replays the matches on the path of winner_, the one child that moved.
  void Replay() {
    uint32_t candidate = winner_;
    for (size_t node = (leaves_ + candidate) / 2; node >= 1; node /= 2) {
      if (Precedes(loser_[node], candidate)) std::swap(loser_[node], candidate);
    }
    winner_ = candidate;
    SetCurrent();
  }

  void SetCurrent() {
    current_ = winner_ < children_.size() && children_[winner_].valid ? &children_[winner_]
                                                                      : nullptr;
  }

  void FindLargest() {
    Child* largest = nullptr;
    for (size_t i = children_.size(); i-- > 0;) {
      Child& c = children_[i];
      if (c.failed) {
        current_ = nullptr;
        return;
      }
      if (c.valid && (largest == nullptr || CompareKeys(c.key, largest->key) > 0)) {
        largest = &c;
      }
    }
    current_ = largest;
  }

  std::vector<Child> children_;
  Child* current_ = nullptr;
  Direction direction_ = kForward;
  // The loser tree (forward direction only; see the class comment).
  uint32_t leaves_ = 1;
  std::vector<uint32_t> loser_;    // [1, leaves_) used
  std::vector<uint32_t> winners_;  // Rebuild's scratch: winners of [1, 2 * leaves_)
  uint32_t winner_ = 0;
};

}  // namespace

Iterator* NewMergingIterator(std::vector<Iterator*> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return children[0];
  return new MergingIterator(std::move(children));
}

}  // namespace firn
