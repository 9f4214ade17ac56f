"""Deterministic Chinese personal names for the demo registry (common surnames, two-character
or one-character given names), so every `onecity seed` produces the same city."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博昊天轩睿哲"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英慧莉燕红梅琳雪婷颖倩晶欣怡悦佳琪萱涵雅诗梦晨妍蕾璐"


def chinese_name(rng: random.Random, sex: str) -> str:
    pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given
