"""Words of the exported tables and reports in English and Chinese.

Codes (construct, item and column names) are the user's and are never translated;
the vocabulary below covers the library's own table titles, column names and the
phrases of the generated reading. An unknown word is returned unchanged.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Language", "check_language", "tr"]

Language = Literal["en", "zh"]

_ZH: dict[str, str] = {
    # sheets and headers
    "Summary": "概要",
    "Notes and settings": "说明与设置",
    "Notes": "说明",
    "Settings": "设置",
    "Setting": "设置项",
    "Value": "值",
    "Item": "项目",
    "Note": "说明",
    "Result": "结果",
    "Table": "表",
    "Tables": "表格",
    "Sheet": "工作表",
    "Omitted tables": "未导出的表",
    "csimodels version": "csimodels 版本",
    # columns
    "estimate": "估计值",
    "std_error": "标准误",
    "t": "t 值",
    "z": "z 值",
    "p_value": "p 值",
    "p_adjusted": "校正 p 值",
    "ci_lower": "置信下限",
    "ci_upper": "置信上限",
    "df": "自由度",
    "label": "标签",
    "index": "指数",
    "construct": "潜变量",
    "indicator": "指标",
    "item": "题项",
    "dimension": "维度",
    "segment": "细分",
    "region": "区域",
    "city": "城市",
    "period": "期间",
    "from": "自",
    "to": "至",
    "weight": "权重",
    "loading": "载荷",
    "r2": "R²",
    "r2_adjusted": "调整 R²",
    "alpha": "Cronbach α",
    "ave": "AVE",
    "importance": "重要性",
    "performance": "表现",
    "priority": "优先级",
    "n": "样本量",
    "mean": "均值",
    "sd": "标准差",
    "status": "状态",
    "reason": "原因",
    "expectation": "期望",
    "perception": "感知",
    "gap": "差距",
    "share": "占比",
    "count": "频数",
    "rank": "排名",
    "difference": "差异",
    "missing": "缺失",
    "missing_share": "缺失比例",
    "median": "中位数",
    "skewness": "偏度",
    "top_box": "顶端框占比",
    "bottom_box": "底端框占比",
    "category": "类别",
    "f2": "f²",
    "vif": "VIF",
    "direct": "直接效应",
    "indirect": "间接效应",
    "total": "总效应",
    # table titles
    "Path coefficients": "路径系数",
    "Structural paths": "结构路径",
    "Standardised paths": "标准化路径",
    "Loadings": "载荷",
    "R²": "R²",
    "Reliability and convergent validity": "信度与收敛效度",
    "0–100 indices": "0–100 指数",
    "Indices": "指数",
    "Outer model": "测量模型",
    "Cross loadings": "交叉载荷",
    "Effects": "效应",
    "Reliability": "信度",
    "HTMT": "HTMT",
    "Fornell–Larcker criterion": "Fornell–Larcker 准则",
    "CFA fit": "验证性因子分析拟合",
    "CFA loadings": "验证性因子分析载荷",
    "Construct correlations": "潜变量相关",
    "Segments": "细分",
    "Global fit": "整体拟合",
    "Fit": "拟合指标",
    "Dimensions": "维度",
    "Items": "题项",
    "Overall scores": "总体得分",
    "Overall": "总体",
    "Cronbach's alpha": "Cronbach α",
    "Priorities": "优先改进",
    "Item priorities": "题项优先级",
    "Exclusions": "剔除记录",
    "Classification": "分类",
    "Category shares": "类别占比",
    "Continuous analysis": "连续分析",
    "Counts": "频数",
    "Shares": "占比",
    "Better worse": "Better–Worse 系数",
    "Screening": "筛查",
    "Weights": "权重",
    "Matrix": "判断矩阵",
    "Diagnosis": "诊断",
    "Most inconsistent judgments": "最不一致的判断",
    "Membership": "隶属度",
    "Alerts": "预警",
    "Targets": "目标",
    "Frequencies": "频率",
    "Description": "描述统计",
    "Importance": "重要性",
    "Correlations": "相关系数",
    "Coefficients": "系数",
    "Status": "状态",
    "by segment": "按细分",
    "Segment": "细分",
    # chart words
    "Priority": "优先级",
    "*** p < .001, ** p < .01, * p < .05; dashed: not significant": (
        "*** p < .001，** p < .01，* p < .05；虚线：不显著"
    ),
    "lower right: fix first": "右下：优先改进",
    "bars: 95 % bootstrap interval": "误差线：95% bootstrap 置信区间",
    "blue: PLS-MGA p below the level; bars: bootstrap interval": (
        "蓝色：PLS-MGA 检验显著；误差线：bootstrap 置信区间"
    ),
    "paths": "路径",
    "indices": "指数",
    "Structural model": "结构模型",
    "0–100 index": "0–100 指数",
    "Index (0–100)": "指数（0–100）",
    "Importance (index points per point)": "重要性（每提高 1 分带来的指数提升）",
    "Performance (0–100)": "表现（0–100）",
    "Importance–performance map": "重要性–表现矩阵",
    "Share of answers": "回答占比",
    "Answer": "答案",
    "Frequencies of": "频数分布：",
    "Answers": "回答分布",
    "Gap (P − E)": "差距（P − E）",
    "MSA (P − A)": "适当服务差距 MSA（P − A）",
    "Performance (P)": "感知表现（P）",
    "Expectation": "期望",
    "Perception": "感知",
    "Adequate": "适当服务",
    "Desired": "理想服务",
    "Service quality gaps": "服务质量差距",
    "Zone of tolerance": "容忍区间",
    "Penalty (low band)": "惩罚（低分段）",
    "Reward (high band)": "奖励（高分段）",
    "Effect on the overall item (points)": "对总体评价的影响（分）",
    "Penalty and reward": "惩罚–奖励分析",
    "AHP priorities": "AHP 权重",
    "Weight": "权重",
    "Consistency ratio": "一致性比率",
    "consistent": "通过一致性检验",
    "inconsistent": "未通过一致性检验",
    "Difference": "差异",
    "Group difference": "组间差异",
    "Segment ranking": "细分排名",
    "Indices by segment": "各细分指数",
    "interval": "区间",
    "threshold": "阈值",
    "Path coefficient": "路径系数",
    # report words
    "Contents": "目录",
    "Report": "报告",
    "Reading": "解读",
    "Chart": "图",
    "failed": "失败",
    "written": "已生成",
    "too_small": "样本过少",
    "Data description": "数据描述",
    "Index model": "指数模型",
    "Drivers: what to fix first": "驱动因素：优先改进",
    "SERVQUAL": "SERVQUAL 服务质量差距",
    "Kano": "Kano 分类",
    "AHP": "层次分析法（AHP）",
    "FCE": "模糊综合评价",
    "Trends and alerts": "趋势与预警",
    "Generated by csimodels": "由 csimodels 生成",
}

_TABLES = {"zh": _ZH}


def check_language(language: object, *, owner: str) -> Language:
    """Validate a ``language`` argument.

    Examples
    --------
    >>> check_language("zh", owner="to_excel")
    'zh'
    """
    from csimodels.errors import InvalidParameterError

    if language not in ("en", "zh"):
        raise InvalidParameterError(
            f"parameter 'language' of {owner} must be 'en' or 'zh', got {language!r}"
        )
    return "zh" if language == "zh" else "en"


def tr(text: str, language: str) -> str:
    """Translate one of the library's own words; anything else comes back unchanged.

    Examples
    --------
    >>> tr("Path coefficients", "zh"), tr("Path coefficients", "en"), tr("EXP1", "zh")
    ('路径系数', 'Path coefficients', 'EXP1')
    """
    if language != "zh":
        return text
    return _ZH.get(text, text)
