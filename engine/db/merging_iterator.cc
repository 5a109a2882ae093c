// db/merging_iterator.cc: see merging_iterator.h.
#include "db/merging_iterator.h"

#include <cassert>
#include <memory>
#include <utility>

#include "db/dbformat.h"

namespace firn {

namespace {

int CompareKeys(std::string_view a, std::string_view b) {
  if (a.size() < kInternalKeyTagBytes || b.size() < kInternalKeyTagBytes) return a.compare(b);
  return CompareInternalKey(a, b);
}

// A child with its position cached, so the hot loops in FindSmallest /
// FindLargest make no virtual calls.
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
// entry before the current one. In the forward direction with current_ not
// null, runner_up_ is the least valid child other than current_ in (key,
// child index) order, or null if there is none.
// Hot path: forward Next. Runs of consecutive entries often come from one
// child (most of a tree's data is in its largest run), so Next compares the
// current child's new key with runner_up_ only, and scans the children
// only when the current child changes.
class MergingIterator final : public Iterator {
 public:
  explicit MergingIterator(std::vector<Iterator*> children) : children_(children.size()) {
    for (size_t i = 0; i < children.size(); i++) children_[i].iter.reset(children[i]);
  }

  bool Valid() const override { return current_ != nullptr; }

  void SeekToFirst() override {
    for (Child& c : children_) {
      c.iter->SeekToFirst();
      c.Update();
    }
    FindSmallest();
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
    FindSmallest();
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
      FindSmallest();  // the other children moved: runner_up_ is stale
      return;
    }
    current_->iter->Next();
    current_->Update();
    if (current_->failed) {
      current_ = nullptr;  // as FindSmallest: the other children are not failed
      return;
    }
    if (current_->valid && (runner_up_ == nullptr || Less(*current_, *runner_up_))) return;
    if (runner_up_ == nullptr) {
      current_ = nullptr;  // current_ was the last valid child
      return;
    }
    // runner_up_ precedes every other child and current_'s new entry.
    current_ = runner_up_;
    runner_up_ = LeastExcept(current_);
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

  // (key, child index) order. REQUIRES: a and b are valid.
  bool Less(const Child& a, const Child& b) const {
    const int r = CompareKeys(a.key, b.key);
    return r < 0 || (r == 0 && &a < &b);
  }

  // The least valid child other than `except` in (key, child index) order,
  // or null.
  Child* LeastExcept(const Child* except) {
    Child* least = nullptr;
    for (Child& c : children_) {
      // Children are visited in index order: on equal keys the earlier wins.
      if (&c != except && c.valid && (least == nullptr || CompareKeys(c.key, least->key) < 0)) {
        least = &c;
      }
    }
    return least;
  }

  // Sets current_ and runner_up_ (forward direction).
  void FindSmallest() {
    Child* smallest = nullptr;
    Child* second = nullptr;
    for (Child& c : children_) {
      if (c.failed) {
        current_ = nullptr;
        runner_up_ = nullptr;
        return;
      }
      if (!c.valid) continue;
      // Children are visited in index order: on equal keys the earlier wins.
      if (smallest == nullptr || CompareKeys(c.key, smallest->key) < 0) {
        second = smallest;
        smallest = &c;
      } else if (second == nullptr || CompareKeys(c.key, second->key) < 0) {
        second = &c;
      }
    }
    current_ = smallest;
    runner_up_ = second;
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
  Child* runner_up_ = nullptr;  // meaningful in the forward direction only
  Direction direction_ = kForward;
};

}  // namespace

Iterator* NewMergingIterator(std::vector<Iterator*> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return children[0];
  return new MergingIterator(std::move(children));
}

}  // namespace firn
