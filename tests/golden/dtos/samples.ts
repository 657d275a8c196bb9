// Written by tests/tests/dtos.rs from serde_json's output for tests/contracts/dtos.rs;
// `tsc --strict` checks that each value has its generated type. Do not edit.

import type { Address, Containers, Event, Level, Meters, Point, Reply, Sample, Scalars, Shape, UserId, UserProfile } from "./client.js";

export const samples = [
  (({"anything":{"a":[1,"two",null,{"b":false}]},"at":"2024-05-06T07:08:09.123Z","blob":"AAEC/w==","f32":1.5,"f64":-0.25,"flag":true,"i16":-32768,"i32":-2147483648,"i64":-9007199254740991,"i8":-128,"id":"67e55044-10b1-426f-9247-bb680e5fe0c8","letter":"ß","octets":[1,2],"raw":[9,8,7],"text":"héllo 👋","u16":65535,"u32":4294967295,"u64":9007199254740991,"u8":255}) satisfies Scalars),
  (({"byLevel":{"HIGH":true,"max":false},"byName":{"x":1.0},"byNumber":{"7":"seven"},"listOfNames":["a","b"],"maybeCount":null,"nested":[[1,2],null],"pair":[1,"one"],"unit":null}) satisfies Containers),
  (({"byLevel":{"HIGH":true,"max":false},"byName":{"x":1.0},"byNumber":{"7":"seven"},"listOfNames":["a","b"],"maybeCount":4,"nested":[[1,2],null],"pair":[1,"one"],"unit":null}) satisfies Containers),
  (({"bio":"Counts","city":"Lyon","display-name":"Ada","e_mail":"ada@example.com","score":3,"zip":"69001"}) satisfies UserProfile),
  (({"city":"Lyon","display-name":"Ada","e_mail":"ada@example.com","score":3,"zip":"69001"}) satisfies UserProfile),
  (({"city":"Lyon","zip":"69001"}) satisfies Address),
  (("67e55044-10b1-426f-9247-bb680e5fe0c8") satisfies UserId),
  ((12.5) satisfies Meters),
  (([1.0,2.0]) satisfies Point),
  (("LOW") satisfies Level),
  (("HIGH") satisfies Level),
  (("max") satisfies Level),
  (("Empty") satisfies Shape),
  (({"Circle":2.0}) satisfies Shape),
  (({"Segment":[[0.0,0.0],[1.0,1.0]]}) satisfies Shape),
  (({"Rect":{"height":3.0,"width":2.0}}) satisfies Shape),
  (({"type":"started"}) satisfies Event),
  (({"from":[0.0,0.0],"to":[3.0,4.0],"type":"moved"}) satisfies Event),
  (({"city":"Lyon","type":"renamed","zip":"69001"}) satisfies Event),
  (({"kind":"Nothing"}) satisfies Reply),
  (({"data":"hi","kind":"Text"}) satisfies Reply),
  (({"data":[1,2],"kind":"Pair"}) satisfies Reply),
  (({"data":{"code":404},"kind":"Detail"}) satisfies Reply),
  ((5) satisfies Sample),
  ((1.5) satisfies Sample),
  ((["a"]) satisfies Sample),
  ((null) satisfies Sample),
];
