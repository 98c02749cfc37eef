"""Which analysis a question asks for: cues in its wording, weighed, plus what its names say.

Each intent has cue patterns with weights (regular expressions over the folded question, written
as the shapes of marketer questions, not as example sentences). Names the lexicon found add
evidence too: a money metric leans to revenue metrics, an attribution model to attribution, an
e-mail address to a customer lookup. The best-scoring intent wins; its margin over the runner-up
becomes part of the confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wayfinder.ask.lexicon import Mention

_ = re.compile

#: (pattern, weight) per intent. Weights: 3 = the intent's own word, 2 = a strong shape,
#: 1 = a hint that only counts with others.
CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "paths": [
        (_(r"\bpath(s|ing|way|ways)?\b"), 3),
        (_(r"\bjourneys?\b"), 2.5),
        (_(r"\broutes?\b|\bclickstreams?\b|\bnavigation (patterns?|flows?)\b"), 2.5),
        (_(r"\bsequences?\b|\border of (pages|steps|events)\b"), 2),
        (
            _(
                r"\b(browse|browsed|browsing|view|viewed|visit|visited|read|look at|looked at|do|did|click|clicked)\b[^?]*\b(beforehand|(before|prior to|leading up to|ahead of) (they|people|someone|\w+ing))\b"
            ),
            2.5,
        ),
        (
            _(
                r"\bwhere (do|did|does|will) (people|ppl|folks?|everyone|users|visitors|they|shoppers|customers|buyers|leads|prospects)\b[^?]*\b(go|head|navigate|end up|click|move)\b"
            ),
            3,
        ),
        (
            _(
                r"\b(after|once) (they|people|users|visitors|shoppers)? ?(leave|left|visit|land|view|see|hit|read|exit)"
            ),
            2,
        ),
        (_(r"\bwhat (happens|do (people|users|visitors) do) (after|next|once)\b"), 2.5),
        (_(r"\bnext (page|pages|step|steps|click|clicks)\b|\bgo next\b|\bhead next\b"), 2),
        (_(r"\b(move|moving|flow|flows|travel) through\b"), 2),
        (_(r"\bleading (up )?to\b|\bon the way to\b|\b(lead|led) up to\b"), 1.5),
        (_(r"\bsankey\b"), 3),
        (_(r"\bnavigat\w*\b"), 2.5),
        (
            _(
                r"\b(click|clicks|clicked|go|goes|went|head|heads|visit|visits|view|views|look at|looks at)\b( on| to)?[^?]*\b(after|from) (the |our )?[\w-]*\s?(page|homepage|home page|landing page)\b"
            ),
            2.5,
        ),
        (_(r"\b(take|took|taken) (to|through|before)\b|\btake through\b"), 1.5),
    ],
    "funnel": [
        (_(r"\bfunnels?\b"), 3.5),
        (_(r"\bdrop[- ]?offs?\b|\bdrop(ped)? out\b|\bfall[- ]?off\b|\bleak(s|age)?\b"), 2.5),
        (
            _(
                r"\b(went|go|goes|going|gone) on to\b|\bthen (went|go|go on)\b|\bproceed(ed)? to\b|\bmove(d)? on to\b"
            ),
            2.5,
        ),
        (
            _(
                r"\bof (those|the people|people|users|visitors|shoppers|leads|the ones) (who|that)\b"
            ),
            1,
        ),
        (
            _(
                r"\b(fraction|share|percent|percentage|proportion|rate|ratio|how many|how much)\b[^?]*\b(convert|converts|converted|become|becomes|became|go on|went on|upgrade|upgraded|move|moved|make it|made it|progress|proceed|end up|turn into|turned into)\b"
            ),
            2,
        ),
        (_(r"\b(step|steps|stage|stages)\b"), 1.5),
        (_(r"->|→|>>|=>"), 2.5),
        (_(r"\bthen\b"), 1),
        (
            _(
                r"\bcompletion rate\b|\bcomplete the (checkout|signup|onboarding)\b|\b(checkout|signup|onboarding) flow\b"
            ),
            2,
        ),
        (_(r"\bfrom [^?]+? to [^?]+"), 1),
        (
            _(
                r"\b(ended|end|ends|ending) up\b|\bactually\b[^?]*\b(went|go|bought|paid|signed|booked|started|completed)\b|\bwent through\b"
            ),
            2,
        ),
        (_(r"(%|\bpercent\b|\bshare\b|\bproportion\b|\bfraction\b)[^?]*\bwithin \d+"), 1.5),
        (_(r"\b(to|into) (paid|paying)\b|\btrial[- ]to[- ]paid\b"), 1.5),
    ],
    "attribution": [
        (
            _(
                r"\battribut(ion|ions|ed|able|ing)\b|\battribute (to|revenue|credit|conversions|sales|pipeline|deals|signups)\b"
            ),
            4.5,
        ),
        (_(r"\bcredit(s|ed)?\b"), 4),
        (_(r"\bcontribut"), 3.5),
        (
            _(
                r"\binfluenc\w*\b[^?]*\b(pipeline|revenue|deals|sales|conversions|signups|sign-ups|purchases|orders|bookings)\b|\b(pipeline|revenue|deals|sales|conversions|signups|purchases|orders|bookings)\b[^?]*\binfluenc\w*"
            ),
            3.5,
        ),
        (
            _(
                r"\b(drove|drive|drives|driving|driven|bring|brings|brought|generate[ds]?|generating|produce[ds]?|source[ds]?|deliver(s|ed)?)\b[^?]*\b(most|more|revenue|sales|conversions|signups|deals|pipeline|purchases|orders|customers|leads|demos|trials)\b"
            ),
            2,
        ),
        (_(r"\bhelp(ed|s|ing)? (to )?(us )?(close|win|convert|drive|generate|sell|land)\b"), 2.5),
        (_(r"\btouch ?points?\b|\bmulti[- ]touch\b|\btouches\b"), 2),
        (
            _(
                r"\b(role|influence|impact|effect) of (the |our )?[^?]*\b(campaign|channel|ads?|email|post|content|webinar|event)s?\b[^?]*\b(on|in)\b"
            ),
            2,
        ),
        (
            _(
                r"\bwhich (channels?|campaigns?|sources?|ads|posts?|content|pieces? of content|webinars?|events?|reps?|authors?)\b[^?]*\b(most|best|top|biggest)\b"
            ),
            1.5,
        ),
        (_(r"\b(role|part)\b[^?]*\bplay(ed|s|ing)?\b"), 3),
        (_(r"\bthanks to\b|\bresponsible for\b|\bcan we (thank|attribute)\b"), 2),
        (_(r"\bmarketing mix\b|\bchannel (mix|contribution)\b"), 1.5),
    ],
    "trend": [
        (_(r"\btrends?\b|\btrending\b"), 3),
        (
            _(r"\bover time\b|\btime series\b|\bover the (last|past) [^?]*\b(days|weeks|months)\b"),
            2,
        ),
        (_(r"\b(per|by|each|every|a) (day|week|month|quarter|hour)\b"), 2),
        (_(r"\b(daily|weekly|monthly|hourly|quarterly)\b"), 1.5),
        (
            _(
                r"\b(day|week|month)[- ]by[- ](day|week|month)\b|\b(week|month|year|day)[- ]over[- ](week|month|year|day)\b|\bwow\b|\bmom\b|\byoy\b"
            ),
            2.5,
        ),
        (_(r"^\s*how many\b|\bnumber of\b|\bcount of\b|\bhow many\b|\bvolume of\b|\btotal\b"), 1),
        (
            _(
                r"\b(going|gone|trending|trend) (up|down)\b|\b(rising|falling|growing|shrinking|declining|increasing|decreasing)\b"
            ),
            2,
        ),
        (
            _(
                r"\b(spike|spikes|spiked|dip|dips|dipped|drop|dropped|jump|jumped|surge|surged|fell|rose)\b"
            ),
            1.5,
        ),
        (_(r"\bhow (has|have|did) [^?]* (change|changed|evolve|evolved|develop|move|moved)\b"), 2),
        (_(r"\bchart\b|\bplot\b|\bgraph\b"), 1),
        (_(r"\bsince\b|\bso far\b"), 0.5),
    ],
    "retention": [
        (_(r"\bretention\b|\bretain(ed|s|ing)?\b"), 3.5),
        (
            _(
                r"\b(come|comes|came|coming) back\b|\breturn(s|ed|ing)?\b(?! (on|rate of) (ad|investment))|\brevisit"
            ),
            2.5,
        ),
        (_(r"\bcohorts?\b"), 2.5),
        (
            _(
                r"\bstick(ing)? around\b|\bstay(ed|s)? (active|engaged|around)\b|\bstill (active|around|using|engaged|subscribed)\b|\bsticky\b|\bstickiness\b"
            ),
            2.5,
        ),
        (
            _(
                r"\b(another|second|repeat|again)\b[^?]*\b(order|purchase|visit|buy)|\b(order|buy|purchase|visit)\w* again\b|\brepeat (purchase|order|buyer|customer)s?\b"
            ),
            2.5,
        ),
        (_(r"\b(d|day)[- ]?(1|7|14|30|60|90)\b(?! days)"), 1.5),
        (_(r"\bwithin \d+ (days|weeks)\b|\b\d+[- ]day\b"), 0.5),
    ],
    "churn_drivers": [
        (
            _(
                r"\b(reduce|reduces|reduced|lower|lowers|prevent|prevents|increase|increases|affect|affects|impact|impacts|drive|drives|predict|predicts)\b[^?]*\b(churn|cancellations?|attrition)\b"
            ),
            3.5,
        ),
        (
            _(
                r"\bwhy\b[^?]*\b(churn|churning|churned|cancel\w*|leave|leaving|left|quit|quitting|unsubscrib\w*|lapse|lapsing|downgrad\w*|stop(ped|s)? (using|paying|buying|shopping|ordering|visiting|coming|posting|engaging)|lose|losing|lost)\b"
            ),
            4,
        ),
        (
            _(
                r"\b(behind|cause[sd]?|causing|reasons?|drivers?|driving|predict\w*|explain\w*|factors?|signals?|signs|in common|sets? apart|risk|at[- ]risk|warning)\b[^?]*\b(churn\w*|cancel\w*|attrition|leav\w*|unsubscrib\w*|downgrad\w*|lapsed?)\b"
            ),
            3.5,
        ),
        (
            _(
                r"\b(churn\w*|cancel\w*|attrition|unsubscrib\w*|lapsed)\b[^?]*\b(behind|cause[sd]?|reasons?|drivers?|predict\w*|factors?|signals?|in common|why|explain\w*)\b"
            ),
            3.5,
        ),
        (
            _(
                r"\bwhat('?s| is)? (makes?|making|causes?|causing|drives?|driving|pushes|pushing) (customers|users|people|accounts|subscribers|members|clients|shoppers|regulars)\b[^?]*\b(leave|churn|cancel|quit|stop|go)\b"
            ),
            4,
        ),
        (_(r"\bchurn(ed|ing|ers)?\b|\bcancellations?\b|\battrition\b"), 1),
        (
            _(
                r"\b(accounts|customers|subscribers|clients|users|members|regulars|logos)\b( that| who)?( we)? (lost|lose|churned)\b|\b(kept|retained)\b[^?]*\b(lost|churned)\b|\b(lost|churned)\b[^?]*\b(kept|retained)\b"
            ),
            3.5,
        ),
        (
            _(
                r"\b(likely|likelier|odds|chances?|probability|risk)\b[^?]*\b(cancel\w*|churn\w*|leave|quit|unsubscrib\w*|lapse)\b"
            ),
            4,
        ),
    ],
    "conversion_drivers": [
        (_(r"\b(likely|likelier|likelihood|odds|chances?|probability|propensity)\b"), 2.5),
        (_(r"\b(key |main |biggest |top )?drivers? (of|for|behind)\b|\bwhat'?s driving\b"), 3),
        (
            _(
                r"\b(tips?|pushes|push|nudges?|gets?|turns?|tipped|pushed) (someone|people|users|visitors|them|a lead|leads|prospects|shoppers|accounts) (into|over|to)\b"
            ),
            3,
        ),
        (
            _(
                r"\b(attributes?|factors?|traits?|characteristics|behaviou?rs?|signals?|predictors?|indicators?|features?|qualities)\b"
            ),
            1.5,
        ),
        (
            _(
                r"\b(which|what) (factors?|attributes?|traits?|behaviou?rs?|signals?|things|actions|characteristics)\b"
            ),
            2,
        ),
        (
            _(
                r"\bmakes? [^?]*\b(convert|buy|purchase|close|sign up|upgrade|subscribe|more likely)\b"
            ),
            1.5,
        ),
        (_(r"\bpredict\w*\b"), 2),
        (_(r"\bin common\b|\b(distinguish\w*|sets? apart|separates?|differentiates?)\b"), 2.5),
        (
            _(
                r"\bmore often\b|\bmore likely\b|\bless likely\b|\bless often\b|\blikelier\b|\bhigher (chance|odds|likelihood)\b"
            ),
            2.5,
        ),
        (
            _(
                r"^\s*(do|does|did|are|is|were)\b[^?]*\b(who|that)\b[^?]*\b(buy|convert|purchase|sign|close|upgrade|order|subscribe)\w*"
            ),
            2.5,
        ),
        (
            _(
                r"\bwhy (do|don't|did|didn't|aren't|are|does|doesn't)\b[^?]*\b(buy|convert|sign up|purchase|close|upgrade|order|subscribe)\w*\b"
            ),
            3,
        ),
        (
            _(
                r"\bwhat (drives|drove|leads to|causes|makes|raises|increases|boosts|improves|lowers|predicts|influences|affects)\b"
            ),
            2,
        ),
        (_(r"\b(associated|correlated|linked) with\b|\bcorrelat\w*\b"), 2.5),
        (
            _(
                r"\b(raise|raises|increase|increases|boost|boosts|improve|improves|lift|lifts|hurt|hurts|lower|lowers)\b[^?]*\b(odds|chance|rate|likelihood|conversion)\b"
            ),
            1.5,
        ),
        (
            _(
                r"\bwhat do (buyers|converters|customers|winners|closed deals|won deals)\b[^?]*\b(have|do)\b"
            ),
            2,
        ),
        (
            _(
                r"\b(likely|close|convert|buy)\b[^?]*\b(leads?|prospects?|accounts?)\b|\b(leads?|prospects?|accounts?)\b[^?]*\b(likely|close|convert)\b"
            ),
            0.5,
        ),
    ],
    "influencers": [
        (_(r"\binfluen(tial|cers?)\b"), 3),
        (_(r"\bcommunity\b"), 2),
        (
            _(
                r"\b(creators?|kols?|key opinion leaders?|opinion leaders?|key voices|talking about (us|our)|talk about (us|our)|most vocal|reviewers?|posters)\b"
            ),
            3,
        ),
        (_(r"\bmembers?\b"), 1.5),
        (
            _(
                r"\b(advocates?|ambassadors?|champions?|evangelists?|super ?users?|power users?|superfans?)\b"
            ),
            3,
        ),
        (_(r"\b(posters?|contributors?|commenters?)\b"), 2),
        (
            _(
                r"\b(quoted|quotes|mentioned|mentions|retweet\w*|reshar\w*|replied|replies|cited|tagged)\b"
            ),
            2,
        ),
        (_(r"\b(discord|forum|forums|slack|reddit|subreddit|community hub)\b"), 2),
        (
            _(
                r"\b(most|best)[- ]connected\b|\bnetwork\b|\bwho (talks|talk|speaks) to\b|\bkey voices\b|\bthought leaders?\b|\bword of mouth\b"
            ),
            2,
        ),
    ],
    "recommendations": [
        (_(r"\bshould (we|i)\b"), 3),
        (_(r"\brecommend\w*\b|\bsug+est\w*\b|\badvi[cs]e\b"), 3),
        (
            _(
                r"\bhow (can|could|do|might|would) (we|i)\b[^?]*\b(improve|increase|lift|boost|grow|reduce|raise|get more|cut|lower|optimi[sz]e|win more)\b"
            ),
            3,
        ),
        (
            _(
                r"\b(extra|additional|more|incremental)\b[^?]*(\$|€|£|\bbudget\b|\bspend\b|\bdollars\b|\bmoney\b)"
            ),
            2.5,
        ),
        (
            _(
                r"\bwhere (would|should|to|could|can)\b[^?]*\b(spend|invest|put|allocate|shift|move)\b"
            ),
            3,
        ),
        (
            _(
                r"\b(best|quickest|fastest|easiest|cheapest) ways? to\b|\bhow to (improve|increase|boost|grow|reduce|lift|get more|raise|cut|lower|win)\b|\bhow do (we|i) get more\b"
            ),
            3,
        ),
        (
            _(
                r"\boptimi[sz]\w*\b|\bnext best\b|\bbest next\b|\bquick wins?\b|\blow[- ]hanging\b|\bwhat to (do|change|fix|focus on)\b|\bpriorit\w*\b"
            ),
            2.5,
        ),
        (_(r"\bwhat (can|could|should|would) we (change|do|fix|try|test)\b"), 3),
        (_(r"\b(to|would) (lift|boost|improve|increase|grow|raise)\b"), 1.5),
        (_(r"\b(most|biggest|greatest) impact\b|\bget the most\b|\bbiggest bang\b"), 1.5),
        (_(r"\b(budget|reallocat\w*|allocation)\b"), 1.5),
    ],
    "segment_compare": [
        (_(r"\bvs\.?\b|\bversus\b|\bv\.?\s"), 2.5),
        (_(r"\bcompar(e|ed|es|ing|ison)\b"), 2),
        (_(r"\bdifference between\b|\bdiffer\b|\bdifferent from\b"), 2.5),
        (
            _(
                r"\bwhich (has|have|is|are|does|do|one|group|segment|device|channel)\b[^?]*\b(higher|lower|better|worse|more|less|best|worst|bigger|smaller)\b"
            ),
            2,
        ),
        (_(r"\b(higher|lower|better|worse|bigger|smaller|more|less|fewer)\b[^?]*\bthan\b"), 2),
        (_(r"\bas (often|much|many|well|likely|good|high|fast|long) as\b"), 2),
        (
            _(
                r"\b(higher|lower|better|worse|bigger|smaller|more|less|best|worst)\b[^?]*\bor\b|\bor\b[^?]*\b(higher|lower|better|worse|bigger|smaller|more|less)\b"
            ),
            1.5,
        ),
        (_(r"\bside by side\b|\bhead to head\b|\bagainst each other\b"), 2),
        (
            _(
                r"\b(new|returning) (vs|versus|or|and) (new|returning)\b|\bweekends? (vs|versus|or|and|compared)\b|\bweekday"
            ),
            2,
        ),
    ],
    "revenue_metrics": [
        (
            _(
                r"\bhow much (money|revenue|did we (make|earn|sell|bring in|spend)|do we (make|earn|spend)|are we (making|earning|spending))\b"
            ),
            3,
        ),
        (
            _(
                r"\b(revenue|mrr|arr|ltv|clv|cac|roas|roi|arpu|arpa|aov|bookings|net sales|gross sales|income|margin|payback)\b"
            ),
            1.5,
        ),
        (_(r"\bwhat'?s (our|the)\b|\bwhat is (our|the)\b|\bwhat are (our|the)\b"), 0.5),
        (_(r"\bby (month|quarter|year|week)\b"), 0.5),
    ],
    "lookup_customer": [
        (_(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), 5),
        (
            _(
                r"\b(customer|user|person|contact|account|client|member|lead|subscriber|shopper|buyer|visitor|profile)\s*(id|number|no\.?|#)?\s*#?\s*(\d{3,}|[a-z][\w-]*\d[\w-]*)\b"
            ),
            4.5,
        ),
        (_(r"\b(customer|lead|contact|client|prospect|account|user)\s+[a-z]+ [a-z]+\b[^?]*$"), 0.5),
        (
            _(
                r"\b(activity|event|order|purchase|interaction) (log|history|timeline|feed)\b|\bfull (history|timeline|profile)\b|\beverything (about|on)\b|\b(profile|timeline) (of|for)\b"
            ),
            3,
        ),
        (
            _(r"\b(look ?up|pull up|find)\b[^?]*\b(customer|user|person|contact|account|client)\b"),
            2,
        ),
    ],
}

#: More shapes, added as question sets showed them (kept apart so each list above stays readable).
CUES["attribution"] += [
    (
        _(
            r"\bhow (did|does|do|has|have|is|are|was|were) (the |our |that |this )?[^?]*\b(campaigns?|ads?|adverts?|email|emails|posts?|webinars?|promos?|sale|newsletter|channels?|content)\b[^?]*\b(help|helped|helps|contribut\w*|driv\w*|support\w*|feed\w*|push\w*|boost\w*|assist\w*)\b"
        ),
        3.5,
    ),
    (
        _(
            r"\bhelp(ed|s|ing)?\b[^?]*\b(sales|revenue|deals|conversions|signups|sign-ups|pipeline|orders|bookings)\b"
        ),
        1.5,
    ),
]
CUES["attribution"] += [
    (
        _(
            r"\b(revenue|sales|conversions?|signups?|sign-ups?|deals?|pipeline|purchases?|orders?|leads?|arr|mrr|bookings)\b[^?]*\b(drive|drove|driven|generate[ds]?|bring|brought|came (out of|from)|come (out of|from)|sourced)\b"
        ),
        2,
    ),
    (
        _(
            r"\b(drove|drive|drives|driving|driven|generate[ds]?|bring|brings|brought)\b[^?]*\b(conversion|purchase|order|signup|deal|lead|demo|trial|sale)\b"
        ),
        1.5,
    ),
    (
        _(
            r"\b(view|click)[- ]through\b|\b\d+[- ]day (click|view)\b|\blast[- ]click\b|\bfirst[- ]click\b"
        ),
        3,
    ),
    (
        _(
            r"\binfluenc\w*\b[^?]*\b(opportunities|opps|leads|signups|trials|customers|revenue|arr)\b"
        ),
        3,
    ),
]
CUES["paths"] += [
    (
        _(
            r"\b(look|looked|looking|click|clicked|visit|visited|view|viewed|read|go|went) (at )?first\b|\bfirst (thing|things|page|pages) (they|people|users|visitors)\b"
        ),
        2.5,
    ),
]
CUES["funnel"] += [
    (_(r"\blos(e|ing|t) (people|users|visitors|leads|shoppers|buyers|customers|prospects)\b"), 2.5),
    (_(r"\bbetween (the )?[\w -]+? and (the )?[\w -]+"), 1),
]
CUES["attribution"] += [
    (
        _(
            r"\b(share|portion|percentage|part|fraction|how much) of (our |the )?(pipeline|revenue|sales|deals|conversions|signups|orders|bookings|arr|mrr)\b[^?]*\b(came|come|comes|coming|from|due to)\b"
        ),
        3.5,
    ),
    (
        _(
            r"\binfluenc\w*\b[^?]*\b(demos?|demo requests|trials?|subscriptions|customers|sign-ups|leads|opps)\b"
        ),
        3,
    ),
]
CUES["retention"] += [
    (
        _(r"\bkeep (using|coming back|buying|ordering|engaging|visiting|paying)\b|\bstill using\b"),
        3,
    ),
]
CUES["conversion_drivers"] += [
    (
        _(
            r"^\s*(do|does|did|will|would)\s+(the |our |a |an )?[\w' -]+?\s+(drive|increase|boost|lift|help|raise|improve|get|lead to|cause)\s+(more|higher|fewer|lower|people|users|visitors|shoppers)\b"
        ),
        2.5,
    ),
]
CUES["influencers"] += [
    (
        _(
            r"\b(which|who|what)\b[^?]*\b(creators?|influencers?|ambassadors?|advocates?|members?|posters?|champions?|contributors?|kols?)\b"
        ),
        1.5,
    ),
]
CUES["recommendations"] += [
    (
        _(
            r"\bways? to (improve|increase|boost|grow|reduce|lift|raise|cut|get more|win)\b|\bany (ideas|tips|suggestions|advice)\b"
        ),
        3,
    ),
]
CUES["funnel"] += [
    (_(r"\b(conversion|convert\w*)( rate)? from\b[^?]*\bto\b"), 3),
]
CUES["attribution"] += [
    (
        _(
            r"\b(lead|leads|led) to (any |more )?(demos?|demo requests|deals?|sales|signups?|sign-ups|revenue|pipeline|conversions?|orders?|purchases?|trials?|customers)\b"
        ),
        3,
    ),
    (
        _(
            r"\b(pipeline|revenue|sales|bookings|arr)\b[^?]*\b(came|come|comes|coming) (from|out of)\b"
        ),
        2,
    ),
]
CUES["retention"] += [
    (_(r"\bstill (logging in|log in|logged in|active|using|visiting|opening|engaged|around)\b"), 3)
]
CUES["churn_drivers"] += [
    (
        _(
            r"\bwhat('?s| is)? (making|causing|driving|pushing) (\w+ )?(customers|users|people|accounts|subscribers|members|clients|shoppers)\b[^?]*\b(leave|churn|cancel|quit|stop|go)\b"
        ),
        4,
    ),
    (
        _(
            r"\b(stop|stops|stopped|quit|quits) (buying|using|ordering|shopping|visiting|paying|engaging|logging in)\b"
        ),
        3,
    ),
    (
        _(
            r"\bbefore they (leave|churn|cancel|quit|go|lapse)\b|\bchurned (accounts|customers|users|subscribers|members)\b"
        ),
        3,
    ),
    (_(r"\bchurn drivers?\b|\bdrivers? of churn\b"), 3),
]
CUES["influencers"] += [
    (
        _(
            r"\b(refer|refers|referred) (the )?most\b|\bmost (referrals|word[- ]of[- ]mouth)\b|\bword[- ]of[- ]mouth\b"
        ),
        3,
    ),
    (
        _(
            r"\bwho (in|on|from|across) (the |our )?(community|forum|discord|slack|group|subreddit)\b"
        ),
        3,
    ),
]
CUES["recommendations"] += [
    (
        _(
            r"\b(best|single best|one|first) thing (we|i) (could|can|should|might) do\b|\b(what|which) changes\b"
        ),
        3,
    ),
]
CUES["segment_compare"] += [(_(r"^\s*compare\b"), 1.5)]
CUES["funnel"] += [(_(r"\b[\w-]+ to [\w-]+ to [\w-]+\b"), 2.5)]
CUES["attribution"] += [
    (_(r"\bmove[sd]? (the needle on )?(pipeline|revenue|deals|sales|signups|the needle)\b"), 3)
]
CUES["influencers"] += [(_(r"\b(tag|tags|tagged|mention|mentions|mentioned) us\b"), 3)]
CUES["lookup_customer"] += [
    (
        _(
            r"\b(deal|order|purchase|activity|engagement|touchpoint|email|billing) history (for|of|with)\b|\bwho at [A-Za-z]"
        ),
        3.5,
    ),
    (
        _(
            r"\baccount [a-z0-9-]+\.[a-z]{2,}\b|\b(for|of|on|at) (the )?[a-z0-9-]+\.(com|io|co|org|net)\b"
        ),
        3.5,
    ),
]
CUES["churn_drivers"] += [
    (
        _(
            r"\b(going|gone|go|went) (inactive|quiet|dark|silent)\b|\bdisengag\w*|\bnot renewing\b|\bwon'?t renew\b|\bat risk of (churn\w*|leaving|cancel\w*|not renewing)\b"
        ),
        3.5,
    ),
    (
        _(
            r"\b(associated|correlated|linked) with (higher|more|lower|less|increased|reduced)? ?(churn|cancellations?|attrition|unsubscribes?)\b"
        ),
        4,
    ),
    (_(r"\bunsubscribes\b"), 1.5),
]
CUES["conversion_drivers"] += [
    (
        _(
            r"\b(get|gets|make|makes|push|pushes|move|moves|nudge|nudges)\b (more )?(people|users|visitors|shoppers|readers|leads|prospects|customers|them)\b (to )?(their )?(buy|convert|check out|checkout|sign up|order|purchase|upgrade|first purchase|start|book|request)"
        ),
        2.5,
    ),
    (_(r"\b(creative|content|page|email|message|on-page) (attributes|elements|features)\b"), 2),
]
CUES["paths"] += [
    (
        _(
            r"\bwhere do (people|ppl|folks|users|visitors|readers|attendees|shoppers|they|leads|buyers)\b[^?]*\b(wander|drift|end up|go|head)\b"
        ),
        3,
    ),
    (
        _(
            r"\b(attendees|readers|subscribers|members|leads|buyers|someone|signups)\b[^?]*\b(do|go|click)\b[^?]*\b(after|next)\b"
        ),
        2.5,
    ),
    (_(r"\bgo to next\b|\bgo next\b|\bnext page\b|\bwhat (do|does) [^?]* do next\b"), 2.5),
]
CUES["funnel"] += [
    (_(r"\band then\b|\bthen actually\b"), 1.5),
    (_(r"\b[\w-]+ (flow|funnel)\b"), 1),
]
CUES["recommendations"] += [
    (_(r"\bshould (reps|the team|sales|marketing|they|our team|i|we)\b"), 3),
    (_(r"\bneeds? (a )?(refresh|update|rework|fixing|attention|help)\b|\bwin back\b"), 2.5),
    (
        _(
            r"\bbest (day|days|time|times|channel|channels|way|ways|hour)\b|\bmaximi[sz]e\b|\bminimi[sz]e\b"
        ),
        2.5,
    ),
    (_(r"\b(over|under)spend\w*\b|\bwasting\b|\bwasted\b"), 3),
]
CUES["influencers"] += [
    (_(r"\b(most|more|biggest) (pull|clout|sway|say|influence|weight)\b"), 3),
    (_(r"\bsubreddit\b|\bsuper[- ]?users?\b|\bbrand ambassadors?\b|\bcustomer champions?\b"), 2),
]
CUES["retention"] += [
    (_(r"\bstill (paying|buying|ordering|customers|with us|here|subscribed|active)\b"), 2.5),
]
CUES["lookup_customer"] += [(_(r"(^|\s)@[\w.]{3,}"), 5)]
CUES["retention"] += [(_(r"\b(renew|renews|renewed|renewal|renewals|repurchas\w*)\b"), 2.5)]
CUES["paths"] += [
    (
        _(
            r"\bwhat (do|does|did) (people|users|visitors|shoppers|ppl|folks|customers|they)\b[^?]*\b(do|click|go|visit|view|look at)\b[^?]*\b(after|next|once)\b"
        ),
        2.5,
    ),
]
CUES["recommendations"] += [
    (_(r"\brecommendations?\b"), 1.5),
    (_(r"\bwhere should\b|\bwhere (do|would) (we|i) (cut|invest|spend)\b"), 2.5),
    (
        _(
            r"\b(things|ways|ideas|steps|actions|experiments|tests|levers) (we|i) (could|can|should|might) (do|try|take|run|pull)\b|\bexperiments? should\b"
        ),
        3,
    ),
    (_(r"\b(cut|trim|reduce)\b[^?]*\bbudget\b"), 2),
]
CUES["segment_compare"] += [
    (_(r"\bstacks? up\b|\bup against\b|\bcompared? (to|with|against)\b"), 2)
]
CUES["influencers"] += [
    (
        _(
            r"\bmost (active|engaged|vocal|helpful|prolific) (members?|people|users|posters|contributors|fans|customers)\b"
        ),
        3,
    )
]


#: Metrics whose questions are about money or unit economics (revenue metrics' own ground).
MONEY_METRICS = frozenset(
    {
        "revenue",
        "mrr",
        "arr",
        "ltv",
        "cac",
        "roas",
        "roi",
        "arpu",
        "aov",
        "bookings",
        "spend",
        "cpl",
        "deal_size",
        "churn_rate",
        "pipeline",
        "refunds",
        "net_new_arr",
        "revenue_per_visitor",
        "nrr",
        "ltv_cac_ratio",
        "cac_payback_period",
        "gross_margin",
    }
)


@dataclass(frozen=True)
class IntentScores:
    scores: dict[str, float]
    #: The cue words behind each intent's score (for the evidence).
    cues: dict[str, list[str]]
    #: Character spans of the cue words (they count as used words).
    spans: list[tuple[int, int]]

    @property
    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


#: Chat shorthand, read as the words it stands for before the cues are matched.
SHORTHAND = {
    "ppl": "people",
    "b4": "before",
    "shld": "should",
    "yr": "year",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "u": "you",
    "ur": "your",
    "w/": "with",
    "w/o": "without",
    "cust": "customer",
    "custs": "customers",
    "convo": "conversation",
    "convos": "conversations",
    "wk": "week",
    "mo": "month",
    "q": "quarter",
    "abt": "about",
    "bc": "because",
    "rn": "now",
}
#: The words cues are written with: a misspelling of one ("funnle", "chrun") reads as it.
_CUE_WORDS = (
    "funnel",
    "churn",
    "churning",
    "retention",
    "attribution",
    "journey",
    "journeys",
    "cohort",
    "cohorts",
    "influencers",
    "influential",
    "recommend",
    "recommendations",
    "suggestions",
    "compare",
    "comparison",
    "versus",
    "conversion",
    "cancellations",
    "cancelling",
    "community",
)


def normalise(text: str) -> str:
    """The folded question with shorthand spelled out and misspelt cue words corrected."""
    from rapidfuzz import fuzz, process

    out = []
    for token in re.split(r"(\s+)", text):
        bare = token.strip("?.!,;:")
        if bare in SHORTHAND:
            token = token.replace(bare, SHORTHAND[bare])
        elif len(bare) >= 5 and bare.isalpha() and bare not in _CUE_WORDS:
            best = process.extractOne(bare, _CUE_WORDS, scorer=fuzz.ratio, score_cutoff=80)
            if (
                best
                and best[0][0] == bare[0]
                and abs(len(best[0]) - len(bare)) <= 1
                and not (best[0].startswith(bare) or bare.startswith(best[0]))  # an inflection
            ):
                token = token.replace(bare, best[0])
        out.append(token)
    return "".join(out)


def score(text: str, mentions: list[Mention]) -> IntentScores:
    """Every intent's score for a folded question and the names found in it."""
    text = normalise(text)
    scores = dict.fromkeys(CUES, 0.0)
    cues: dict[str, list[str]] = {k: [] for k in CUES}
    spans: list[tuple[int, int]] = []
    for intent, patterns in CUES.items():
        for pattern, weight in patterns:
            m = pattern.search(text)
            if m:
                scores[intent] += weight
                cues[intent].append(m.group().strip())
                spans.append(m.span())
    kinds = {e.kind for m in mentions for e in m.entries}
    metrics = {e.canonical for m in mentions for e in m.entries if e.kind == "metric"}
    if "model" in kinds:
        scores["attribution"] += 6  # a credit model only makes sense in attribution
        cues["attribution"].append("an attribution model")
    if metrics & MONEY_METRICS:
        scores["revenue_metrics"] += 1.5
    if metrics & {"retention_rate", "repeat_purchase_rate"}:
        scores["retention"] += 1.5
    if metrics & {"reach"}:
        scores["influencers"] += 1
    # A churn word with a money/rate metric but no "why" is a metric question, not drivers.
    if scores["churn_drivers"] <= 1 and "churn_rate" in metrics:
        scores["churn_drivers"] = 0.0
    return IntentScores(scores, cues, spans)
