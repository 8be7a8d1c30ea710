"""The child resources of a stage (and, on a pod that nests them, of its steps): a part of CxEmulator.

Every write edits a copy of the stored stage and goes through the same
pipeline as a stage POST (`CxEmulator._save`): metadata, contract form,
references, then ids and who-columns. A delete takes what is nested in the
item with it (composition) and is refused while something else still links
to it (emulator_rules.dangling_problems).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import emulator_rules as rules
from .emulator_http import (
    COLLECTION_TYPE,
    ITEM_TYPE,
    Refusal,
    Reply,
    Request,
    expand_tree,
    indicator,
    json_reply,
    self_href,
)
from .emulator_render import Chain
from .emulator_rules import LABELS, Problem
from .emulator_writes import deep_create_problems, find, patch_shape_problems
from .store import StoredStage

if TYPE_CHECKING:
    from .emulator import CxEmulator


class ChildResources:
    """GET/POST of child collections and GET/PATCH/DELETE of child items (mixed into CxEmulator)."""

    def _list_children(self: CxEmulator, r: Request, chain: Chain) -> Reply:
        stage = self._stage(self._orchestration(chain[0][1]), chain[1][1])
        rows, _ = self._locate(stage, stage.document, chain)
        resource = chain[-1][0]
        tree = expand_tree(r.query.get("expand", ""), resource, self.profile, self.replies)
        href = self.render.href(chain)
        items = [self.render.render(resource, row, self.render.row_href(href, resource, row), r, tree) for row in rows]
        return json_reply(200, self.render.collection(items, r, href), COLLECTION_TYPE)

    def _get_child(self: CxEmulator, r: Request, chain: Chain) -> Reply:
        stage = self._stage(self._orchestration(chain[0][1]), chain[1][1])
        rows, index = self._locate(stage, stage.document, chain)
        resource = chain[-1][0]
        tree = expand_tree(r.query.get("expand", ""), resource, self.profile, self.replies)
        row = rows[index]  # type: ignore[index]
        return json_reply(
            200, self.render.render(resource, row, self.render.href(chain), r, tree), ITEM_TYPE, etag=indicator(row)
        )

    def _post_child(self: CxEmulator, r: Request, chain: Chain) -> Reply:
        self.replies.check_media_type(r)
        data = self.replies.json_object(r)
        resource = chain[-1][0]
        key = self.keys[resource]
        with self.store.atomic():
            header = self._orchestration(chain[0][1])
            stage = self._stage(header, chain[1][1])
            doc = copy.deepcopy(stage.document)
            rows, _ = self._locate(stage, doc, chain)
            self.replies.refuse(deep_create_problems(self.profile, data, resource))
            problems = self._body_problems(data, resource)
            number = data.get(key)
            index = find(rows, key, number) if number is not None else None
            old = rows[index] if index is not None else None
            edit = self._edit()
            edit.refuse_association_update(resource, old, data)
            self.replies.refuse(edit.problems)
            if old is not None and not r.upsert:
                where = self._owner_label(chain)
                detail = f"{LABELS[resource].capitalize()} {number} already exists in {where}; send Upsert-Mode: true."
                self.replies.refuse([Problem(detail, rules.CODE_DUPLICATE)])
            item = edit.item(resource, old, data, self.profile.upsert_children)
            if index is None:
                rows.append(item)
            else:
                rows[index] = item
            saved = self._save(r, header, stage, doc, edit, problems)
        return self._child_reply(r, [*chain[:-1], (resource, str(number))], saved, data, 201 if old is None else 200)

    def _patch_child(self: CxEmulator, r: Request, chain: Chain) -> Reply:
        self.replies.check_media_type(r)
        data = self.replies.json_object(r)
        resource, number = chain[-1]
        with self.store.atomic():
            header = self._orchestration(chain[0][1])
            stage = self._stage(header, chain[1][1])
            doc = copy.deepcopy(stage.document)
            rows, index = self._locate(stage, doc, chain)
            self.replies.refuse(patch_shape_problems(self.profile, self.keys, data, resource, str(number)))
            problems = self._body_problems(data, resource, str(number))
            edit = self._edit()
            rows[index] = edit.item(resource, rows[index], data, "merge")  # type: ignore[index]
            saved = self._save(r, header, stage, doc, edit, problems)
        return self._child_reply(r, chain, saved, data, 200)

    def _delete_child(self: CxEmulator, r: Request, chain: Chain) -> Reply:
        with self.store.atomic():
            header = self._orchestration(chain[0][1])
            stage = self._stage(header, chain[1][1])
            doc = copy.deepcopy(stage.document)
            rows, index = self._locate(stage, doc, chain)
            del rows[index]  # type: ignore[arg-type]  # with whatever is nested in it (composition)
            before, _ = self.codec.stage(stage.document)
            after, _ = self.codec.stage(doc, known=stage.document)
            self.replies.refuse(rules.dangling_problems(before, after))
            self._store_stage(r, header, stage, doc)
        return 204, {}, b""

    def _child_reply(
        self: CxEmulator, r: Request, chain: Chain, stage: StoredStage, sent: dict[str, Any], status: int
    ) -> Reply:
        rows, index = self._locate(stage, stage.document, chain)
        resource = chain[-1][0]
        item, tree = self.render.reply_shape(resource, rows[index], sent)  # type: ignore[index]
        etag = indicator(rows[index])  # type: ignore[index]
        rendered = self.render.render(resource, item, self.render.href(chain), r, tree, etag)
        return json_reply(status, rendered, ITEM_TYPE, etag=etag, location=self_href(rendered))

    def _locate(
        self: CxEmulator, stage: StoredStage, doc: dict[str, Any], chain: Chain
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The collection `chain` ends in (inside `doc`) and the index of its item (None for a collection)."""
        owner, label = doc, f"stage {stage.number}"
        for position, (resource, number) in enumerate(chain[2:], start=2):
            rows = owner.setdefault(resource, [])
            if number is None:
                return rows, None
            index = find(rows, self.keys[resource], number)
            if index is None:
                detail = f"{LABELS[resource].capitalize()} {number} does not exist in {label}."
                raise Refusal(self.replies.error(404, detail, "404"))
            if position == len(chain) - 1:
                return rows, index
            owner, label = rows[index], f"{LABELS[resource]} {number}"
        raise AssertionError("a child chain has at least three parts")

    def _owner_label(self: CxEmulator, chain: Chain) -> str:
        resource, number = chain[-2]
        return f"{LABELS[resource]} {number}"
